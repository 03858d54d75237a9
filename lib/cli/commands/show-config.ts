// `ipvs-proxy show-config`: the effective settings after defaults, file, environment and flags,
// in the config-file format, so an operator can see what a node will run with.
import YAML from 'yaml';
import { command } from '../command.js';
import { formatDuration } from '../duration.js';
import { ALL_OPTIONS } from '../options-all.js';

export const showConfigCommand = command({
  name: 'show-config',
  summary: 'print the effective configuration (defaults < file < environment < flags) as YAML',
  options: ALL_OPTIONS,
  run: async ({ settings, stdout }) => {
    const out: Record<string, unknown> = {};
    for (const spec of ALL_OPTIONS) {
      if (spec.key === 'config') continue;
      const v = settings[spec.key];
      out[spec.key] = spec.type === 'duration' && typeof v === 'number' ? formatDuration(v) : v;
    }
    stdout.write(YAML.stringify(out));
    return 0;
  },
});
