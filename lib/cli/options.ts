/** Options from the command line that shape a running proxy (nutcracker's flags). */
export interface RunOptions {
  /** -c: configuration file path. */
  readonly confFile: string;
  /** -v: log level 0..11. */
  readonly verbosity: number;
  /** -o: log file, or null for stderr. */
  readonly logFile: string | null;
  /** -s */
  readonly statsPort: number;
  /** -a */
  readonly statsAddr: string;
  /** -i: milliseconds. */
  readonly statsInterval: number;
  /** -p: pid file, or null. */
  readonly pidFile: string | null;
  /** -m: read chunk size in bytes. */
  readonly mbufSize: number;
  /** -d */
  readonly daemonize: boolean;
  /** --watch: reload when the configuration file changes. */
  readonly watch: boolean;
}
