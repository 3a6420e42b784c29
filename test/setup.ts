// Tests never reach the real GitHub/Gitee: any HTTP they attempt that nock does not answer fails loudly.
process.env.LOG_LEVEL ??= 'silent';
