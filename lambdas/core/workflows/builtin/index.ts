/** The built-in workflows, by name: the catalogue the coordinator, the API and the CLI share. */
import type { WorkflowDefinition } from '../definition.ts';
import { featureDevelopment } from './feature-development.ts';
import { hiring } from './hiring.ts';
import { incidentResponse } from './incident-response.ts';
import { revenue3x } from './revenue-3x.ts';

export const WORKFLOWS: ReadonlyMap<string, WorkflowDefinition> = new Map(
  [featureDevelopment, hiring, incidentResponse, revenue3x].map((w) => [w.name, w]),
);
