/**
 * What `npm start` says once it is up: where everything is (dashboard, API, the AWS endpoint, the
 * database, the human token) and three commands to try, ready to paste.
 */
import { resolve } from 'node:path';
import type { LlmConfig } from '../adapters/llm/open.ts';

export interface BannerFacts {
  apiUrl: string;
  awsUrl: string;
  /** The database driver, and where its data is when local. */
  database: string;
  dataDir: string;
  /** True when the token comes from ECHO_HUMAN_TOKEN rather than the file. */
  tokenFromEnv: boolean;
  llm: LlmConfig;
}

/**
 * Which mind the agents have. Without ECHO_LLM_MODEL each role asks for its own model, a Bedrock
 * model id, which an OpenAI-compatible server or Ollama does not serve: said here, not met on the
 * first call.
 */
export function modelLine(llm: LlmConfig): string {
  switch (llm.provider) {
    case 'rules':
      return 'rules engine (no model: ECHO_LLM_PROVIDER chooses one)';
    case 'bedrock':
      return `bedrock in ${llm.region}, ${llm.model ?? "each role's own model"}`;
    default:
      return `${llm.provider} at ${llm.baseUrl}, ${
        llm.model ??
        "each role's own model, a Bedrock model id it may not serve: set ECHO_LLM_MODEL to one it does"
      }`;
  }
}

/** The address echoctl assumes: anything else must be told (ECHO_API_URL). */
const DEFAULT_API = 'http://127.0.0.1:4000';

export function startBanner(f: BannerFacts): string {
  const echoctl = `${f.apiUrl === DEFAULT_API ? '' : `ECHO_API_URL=${f.apiUrl} `}npx echoctl`;
  const token = f.tokenFromEnv
    ? 'from ECHO_HUMAN_TOKEN'
    : `${resolve(f.dataDir, 'human-token')}  (echoctl approve/reject read it; paste it in the dashboard's Authority box)`;
  return [
    'ECHO is running',
    `  dashboard    ${f.apiUrl}/`,
    `  API          ${f.apiUrl}`,
    `  AWS          ${f.awsUrl}  (EventBridge, the RDS Data API and CloudWatch Logs: aws --endpoint-url ${f.awsUrl} ...)`,
    `  database     ${f.database}`,
    `  model        ${modelLine(f.llm)}`,
    `  human token  ${token}`,
    'try:',
    `  ${echoctl} agents cto`,
    `  ${echoctl} send --to cto --subject approve_technical_proposal --content '{"title":"Adopt Kafka","budget_usd":50000}' --wait`,
    `  aws --endpoint-url ${f.awsUrl} events put-events --entries file://events/samples/post-message.json`,
    '',
  ].join('\n');
}
