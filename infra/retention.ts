import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** A number of days as CloudWatch Logs' retention (config.ts admits only the values it has). */
export const retention = (days: number): RetentionDays => days as RetentionDays;
