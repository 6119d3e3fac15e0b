#!/usr/bin/env node
// echoctl: the command line of ECHO, on the HTTP API (ECHO_API_URL). TypeScript runs through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cli/echoctl.ts');
