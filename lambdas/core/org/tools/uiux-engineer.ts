/** The UI/UX Engineer's tools: interfaces, research, design reviews, the design system, accessibility. */
import * as z from 'zod';
import { decisionTool, escalationTool, replyTool, review, Title } from './kit.ts';
import type { ToolDefinition } from './types.ts';

/** WCAG relative luminance contrast of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
}
const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1a2b3c');

export const uiuxEngineerTools = (): ToolDefinition[] => [
  decisionTool('design_user_interface', 'Settle the design of a screen or flow', 'ui', {
    title: Title,
    platform: z.enum(['web', 'mobile', 'desktop']).default('web'),
  }),
  replyTool(
    'conduct_user_research',
    'Plan user research: method and sample size for the question',
    { question: Title, kind: z.enum(['why', 'how many']).default('why') },
    (i) =>
      i.kind === 'why'
        ? { method: 'moderated interviews', participants: 5 }
        : { method: 'survey', participants: 100 },
  ),
  replyTool(
    'review_design_implementation',
    'Compare an implementation with its design',
    {
      screen: Title,
      matches_spacing: z.boolean().default(true),
      matches_typography: z.boolean().default(true),
      uses_design_tokens: z.boolean().default(true),
    },
    (i) =>
      review([
        [!i.matches_spacing, 'spacing differs from the design'],
        [!i.matches_typography, 'typography differs from the design'],
        [!i.uses_design_tokens, 'hard-coded values instead of design tokens'],
      ]),
  ),
  decisionTool('manage_design_system', 'Change the design system (a component or token)', 'design system', {
    title: Title,
  }),
  replyTool(
    'evaluate_accessibility',
    'Check contrast (WCAG AA) and keyboard access',
    {
      foreground: Colour,
      background: Colour,
      large_text: z.boolean().default(false),
      keyboard_navigable: z.boolean().default(true),
    },
    (i) => {
      const ratio = contrast(i.foreground, i.background);
      const needed = i.large_text ? 3 : 4.5;
      return {
        contrastRatio: ratio,
        ...review([
          [ratio < needed, `contrast ${ratio}:1 is below ${needed}:1 (WCAG AA)`],
          [!i.keyboard_navigable, 'not reachable by keyboard'],
        ]),
      };
    },
  ),
  escalationTool('product_manager', 'ui'),
];
