// Everything the CLI's commands run, in one module that src/cli.ts loads only when a command runs.
export { bake } from './lifecycle/bake.js';
export { ciFile } from './lifecycle/ci.js';
export { destroy, halt } from './lifecycle/destroy.js';
export { attachConsole, findNode, followConsoleLog, readConsoleLog } from './lifecycle/console.js';
export { doctor, formatChecks } from './lifecycle/doctor.js';
export { copyOn, parseCopy, runOn, selectNodes, summary } from './lifecycle/fanout.js';
export { lockLab } from './lifecycle/lablock.js';
export { acquireLock } from './lifecycle/lock.js';
export { target } from './lifecycle/nodes.js';
export { openLab, requireBaseImage, UsageError } from './lifecycle/open.js';
export { setup } from './lifecycle/setup.js';
export {
  BASELINE,
  checkSnapshotName,
  deleteSnapshot,
  formatSnapshotRows,
  listSnapshots,
  restoreSnapshot,
  saveSnapshot,
} from './lifecycle/snapshot.js';
export { earlyQuery, formatStatus, status, vagrantState, type DomainQuery } from './lifecycle/status.js';
export { isCi } from './lifecycle/tasks.js';
export { HostNotReadyError, up } from './lifecycle/up.js';
export { formatVerdicts, verify } from './lifecycle/verify.js';
export {
  applyBlock,
  defaultSshConfigFile,
  DEFAULT_HOSTS_FILE,
  hostsBlock,
  sshConfigBlock,
} from './lifecycle/workstation.js';
export { claimOutDir, renderToDisk } from './lifecycle/write.js';
export { loadLabFile } from './lab/load.js';
export { renderDot, renderMermaid } from './render/graph.js';
export { renderLab } from './render/index.js';
export { repoFile } from './render/sources.js';
export { renderJunit, renderSummary } from './render/verify-report.js';
export * as graphviz from './tools/graphviz.js';
export { memoryMiB } from './tools/host.js';
export * as ssh from './tools/ssh.js';
