// Kernel tools run inside a test's own network namespace.
import { runTool, type ToolRunner } from '../../lib/kernel/tool.js';

/** A runner that runs every tool inside a network namespace. */
export const inNamespace = (ns: string, base: ToolRunner = runTool): ToolRunner =>
  (cmd, args, stdin) => base('ip', ['netns', 'exec', ns, cmd, ...args], stdin);
