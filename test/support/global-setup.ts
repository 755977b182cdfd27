// Names this run's owner for the PID registry before jest starts its workers.
export default async function globalSetup(): Promise<void> {
  process.env.BENCH_RUN_OWNER = String(process.pid);
}
