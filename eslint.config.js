// ESLint for the TypeScript sources and the tests (npm run lint; npm test runs it): typescript-eslint's recommended
// rules, no import cycles, no unused code; formatting is Prettier's (npm run format), so eslint-config-prettier
// turns off the rules it decides.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// node:fs's functions that write, rename, chmod, make or delete (sync, callback and stream forms).
const FS_WRITES = [
  'writeFile',
  'writeFileSync',
  'appendFile',
  'appendFileSync',
  'write',
  'writeSync',
  'writev',
  'writevSync',
  'mkdir',
  'mkdirSync',
  'mkdtemp',
  'mkdtempSync',
  'rm',
  'rmSync',
  'rmdir',
  'rmdirSync',
  'unlink',
  'unlinkSync',
  'rename',
  'renameSync',
  'chmod',
  'chmodSync',
  'fchmod',
  'fchmodSync',
  'lchmod',
  'lchmodSync',
  'chown',
  'chownSync',
  'fchown',
  'fchownSync',
  'lchown',
  'lchownSync',
  'symlink',
  'symlinkSync',
  'link',
  'linkSync',
  'copyFile',
  'copyFileSync',
  'cp',
  'cpSync',
  'truncate',
  'truncateSync',
  'ftruncate',
  'ftruncateSync',
  'createWriteStream',
  'utimes',
  'utimesSync',
  'lutimes',
  'lutimesSync',
  'futimes',
  'futimesSync',
];
const FS_MESSAGE = 'writes go through the file layer (src/fsguard/layer.ts, docs/safety.md)';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.labforge/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.test.json' })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  {
    files: ['scripts/**/*.js', 'bin/**/*.js', '*.config.js', 'test/**/*.mjs'],
    // Node's ES modules: its globals.
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  prettier,
  // Prettier wraps code at 120 columns but leaves long strings and comments alone: nothing over 160.
  { rules: { 'max-len': ['error', { code: 160, ignoreUrls: true }] } },
  // Every write, rename, chmod, mkdir and delete goes through the file layer (src/fsguard/, docs/safety.md): no other
  // module of src/ may call node:fs's writing functions or import a module that writes (issue #18).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/fsguard/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...['fs', 'node:fs'].map((name) => ({ name, importNames: FS_WRITES, message: FS_MESSAGE })),
            ...['fs/promises', 'node:fs/promises', 'fs-extra'].map((name) => ({ name, message: FS_MESSAGE })),
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: `MemberExpression[object.name=/^(fs|fsp|fse|fsExtra)$/][property.name=/^(${FS_WRITES.join('|')})$/]`,
          message: FS_MESSAGE,
        },
        { selector: "MemberExpression[object.name='fs'][property.name='promises']", message: FS_MESSAGE },
      ],
    },
  },
  // The floors of the house (docs/design.md): an import goes down, never up. cli/ on top, then lifecycle/ (commands'
  // logic), render/ (pure renderers), tools/ (one adapter per external tool), lab/, fsguard/, and the ground files.
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src/lifecycle', from: './src/cli', message: 'lifecycle/ stands below cli/' },
            { target: './src/render', from: ['./src/cli', './src/lifecycle'], message: 'renderers never run tools' },
            {
              target: './src/tools',
              from: ['./src/cli', './src/lifecycle', './src/render'],
              message: 'adapters never know about the lab file or its renderers',
            },
            {
              target: ['./src/lab', './src/fsguard'],
              from: ['./src/cli', './src/lifecycle', './src/render', './src/tools'],
              message: 'lab/ and fsguard/ stand below the renderers and adapters',
            },
            {
              target: './src/!(cli).ts',
              from: ['./src/cli', './src/lifecycle', './src/render', './src/tools', './src/lab', './src/fsguard'],
              message: 'the ground files import nothing above them',
            },
          ],
        },
      ],
    },
  },
  // A module a reader can hold in mind: no source file over 300 lines (issue #20).
  {
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }] },
  },
);
