// Lint runs as part of `npm test`. Type-aware rules catch floating promises and unsafe any.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'stoa-data/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'test/fixtures/*/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  {
    // API and compliance tests read JSON and XML off the wire or disk and assert its shape:
    // `any` is what arrives there; browser tests evaluate code in the page, where the DOM's
    // types are not those of this Node project.
    files: ['test/api/**/*.ts', 'test/pool/**/*.ts', 'test/web/**/*.ts', 'test/sip/**/*.ts', 'test/hostile/**/*.ts', 'test/harness/server.ts', 'test/harness/hostile.ts', 'test/authz/**/*.ts', 'test/compliance/**/*.ts', 'test/harness/compliance-output.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Every word the web client shows comes from its message catalogs (web/src/locales):
    // text written straight into JSX, or into an attribute a person reads, is refused.
    files: ['web/src/**/*.tsx'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'JSXText[value=/[A-Za-z]/]', message: 'Words in the web client come from the catalogs: t(...) (web/src/i18n.ts).' },
        {
          selector: 'JSXAttribute[name.name=/^(aria-label|placeholder|title|alt|label)$/] > Literal[value=/[A-Za-z]/]',
          message: 'Words in the web client come from the catalogs: t(...) (web/src/i18n.ts).',
        },
        {
          selector: 'JSXAttribute[name.name=/^(aria-label|placeholder|title|alt|label)$/] > JSXExpressionContainer > TemplateLiteral > TemplateElement[value.raw=/[A-Za-z]/]',
          message: 'Words in the web client come from the catalogs: t(...) (web/src/i18n.ts).',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly' } },
  },
);
