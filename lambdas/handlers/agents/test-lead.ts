import { lambdaAgent } from '../agent.ts';

export const handler = lambdaAgent('test_lead');
