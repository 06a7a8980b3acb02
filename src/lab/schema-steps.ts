// The lab file's provisioning steps and data disks (schema.ts puts them on the lab, its roles and its nodes).
import * as z from 'zod';
import { BOUNDS } from '../bounds.js';
import { diskSize, line } from './schema-fields.js';

/** What a guest calls a data disk: /dev/disk/by-id/virtio-<name>. QEMU passes at most 20 bytes of a virtio disk's
 *  serial to the guest, so a name is a label of at most 20 characters. */
export const DISK_NAME = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;
/** A file mode for a copy step: three or four octal digits, as a string (YAML reads 0644 as the number 644). */
export const FILE_MODE = /^[0-7]{3,4}$/;
/** The owner of a copied file: a user name or uid, optionally `:group`. */
export const OWNER = /^([a-z_][a-z0-9_-]{0,31}|\d{1,10})(:([a-z_][a-z0-9_-]{0,31}|\d{1,10}))?$/;

export const diskSchema = z
  .object({
    size: diskSize.describe('Size: a size like 10G (whole GiB), or a number of MiB.'),
    name: z
      .string()
      .regex(DISK_NAME, {
        message: "must be 1-20 lower-case letters, digits or '-' (the disk's serial: the guest sees 20 bytes of it)",
      })
      .optional()
      .describe(
        'Its name and serial: the guest finds it as /dev/disk/by-id/virtio-<name>. Default: data1, data2, ... by position.',
      ),
  })
  .strict();

export const disks = z
  .array(diskSchema)
  .max(BOUNDS.disks.max, { message: `must list at most ${BOUNDS.disks.max} disks` })
  .optional()
  .describe(
    "Extra data disks (qcow2 volumes in host.pool, created by vagrant-libvirt, owned and destroyed with the lab). A node's list replaces its role's.",
  );

/** Multi-line text of a shell command: any printable text and line breaks, no other control character. */
const shellText = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(BOUNDS.shellText.max, { message: `must be at most ${BOUNDS.shellText.max} characters` })
  // eslint-disable-next-line no-control-regex -- the control characters are what this class refuses
  .regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, {
    message: 'must be text: line breaks and tabs, no other control characters',
  });

export const provisionStepSchema = z
  .object({
    name: line.optional().describe('A title for the step in output and logs. Default: its kind and what it names.'),
    script: line
      .optional()
      .describe(
        "A script in the lab's folder (relative to the lab file): copied to the node and run as root (its #! line decides the interpreter).",
      ),
    shell: shellText.optional().describe('An inline command, run as root with bash -c on the node.'),
    copy: z
      .object({
        src: line.describe("A file or folder in the lab's folder (relative to the lab file)."),
        dest: line.describe(
          "Absolute path on the node: the file itself, or the folder that receives the folder's contents.",
        ),
        mode: z
          .string()
          .regex(FILE_MODE, { message: "must be an octal mode in quotes, like '0644'" })
          .optional()
          .describe("Mode of the file (a folder's files), in quotes: '0644'. Default: as the source has it."),
        owner: z
          .string()
          .regex(OWNER, { message: 'must be a user (or uid), optionally :group, like root:root' })
          .optional()
          .describe('Owner user[:group] of what was copied. Default: root.'),
      })
      .strict()
      .optional()
      .describe('A file or folder copied to the node.'),
    playbook: line
      .optional()
      .describe(
        "An Ansible playbook in the lab's folder, run on this host with ansible-playbook against <out>/inventory, limited to the step's nodes.",
      ),
  })
  .strict();

export const provision = z
  .array(provisionStepSchema)
  .max(BOUNDS.provisionSteps.max, { message: `must list at most ${BOUNDS.provisionSteps.max} steps` })
  .optional()
  .describe(
    'Provisioning steps, each exactly one of script, shell, copy, playbook; run in order by `labforge up` (after verify) and `labforge provision`.',
  );
