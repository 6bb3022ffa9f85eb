import type { ESLint, Rule } from 'eslint';

export const boundaries: Rule.RuleModule;
declare const plugin: ESLint.Plugin;
export default plugin;
