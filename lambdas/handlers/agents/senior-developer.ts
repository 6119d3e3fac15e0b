import { lambdaAgent } from '../agent.ts';

export const handler = lambdaAgent('senior_developer');
