/**
 * The public API of a package entry point as text, for the API-surface snapshots: every exported
 * name, sorted, with what it is (value, type or both) and how it is declared. Read with the
 * TypeScript compiler from the entry's source, so re-exports are followed to their declarations
 * and `export type { … }` counts as a type only.
 */
import ts from 'typescript';

/** What each declaration flag of a symbol is called in the snapshot. */
const DECLARATION_KINDS: readonly [ts.SymbolFlags, string][] = [
  [ts.SymbolFlags.Class, 'class'],
  [ts.SymbolFlags.Function, 'function'],
  [ts.SymbolFlags.Variable, 'const'],
  [ts.SymbolFlags.Enum, 'enum'],
  [ts.SymbolFlags.ValueModule, 'namespace'],
  [ts.SymbolFlags.Interface, 'interface'],
  [ts.SymbolFlags.TypeAlias, 'type alias'],
];

/** A program over `entries` with the workspace's compiler options (sources, not `dist`). */
export function apiProgram(tsconfigPath: string, entries: readonly string[]): ts.Program {
  const config = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, tsconfigPath.replace(/[^/]+$/, ''));
  return ts.createProgram({ rootNames: [...entries], options: { ...parsed.options, noEmit: true } });
}

function isTypeOnlyExport(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
  );
}

/** One line per exported name of `entry`: `name: value|type|value+type (declaration kinds)`. */
export function apiSurface(program: ts.Program, entry: string): string {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`${entry} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) return '';
  const lines: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    let typeOnly = false;
    let target = exported;
    while (target.flags & ts.SymbolFlags.Alias) {
      typeOnly ||= isTypeOnlyExport(target);
      const next = checker.getImmediateAliasedSymbol(target);
      if (next === undefined) break;
      target = next;
    }
    const kinds = DECLARATION_KINDS.filter(([flag]) => target.flags & flag).map(([, name]) => name);
    const value = !typeOnly && (target.flags & ts.SymbolFlags.Value) !== 0;
    const type = (target.flags & ts.SymbolFlags.Type) !== 0;
    const meaning = value && type ? 'value+type' : value ? 'value' : 'type';
    lines.push(`${exported.name}: ${meaning} (${kinds.join(', ')})`);
  }
  return `${lines.sort().join('\n')}\n`;
}
