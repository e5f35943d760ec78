/**
 * The public API of a package entry point as text, for the API-surface snapshots: every exported
 * name, sorted, with what it is (value, type or both), how it is declared, and its declaration as a
 * user of the package sees it — function and method signatures, class and interface members,
 * constant types, type alias bodies — so that a changed signature is a snapshot diff, not only an
 * added or removed name.
 *
 * Read with the TypeScript compiler from the entry's source, so re-exports are followed to their
 * declarations and `export type { … }` counts as a type only. Types are the checker's (inferred
 * return and constant types included), printed without truncation; a named type prints as its
 * name, and its own shape is in the snapshot where it is exported. Members are the public ones
 * (`#private` and `private` members are left out, `protected` ones are marked), and members a
 * class or interface takes from the standard library or a dependency in `node_modules` (`Error`'s
 * `message`, `EventEmitter`'s methods) are left out: they are not the workspace's to change.
 * Asking the checker only for the exported symbols keeps this to seconds, where a declaration
 * emit of every file behind the entries takes a type check of each (15 s measured).
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

/** How types are built: whole (never `... 12 more ...`), aliases by name wherever they live. */
const BUILD =
  ts.NodeBuilderFlags.NoTruncation |
  ts.NodeBuilderFlags.UseAliasDefinedOutsideCurrentScope |
  ts.NodeBuilderFlags.WriteClassExpressionAsTypeLiteral |
  ts.NodeBuilderFlags.IgnoreErrors;

/** A program over `entries` with the workspace's compiler options (sources, not `dist`). */
export function apiProgram(tsconfigPath: string, entries: readonly string[]): ts.Program {
  const config = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, tsconfigPath.replace(/[^/]+$/, ''));
  return ts.createProgram({ rootNames: [...entries], options: { ...parsed.options, noEmit: true } });
}

/** The file synthesized nodes are printed against (they have no text of their own). */
const EMPTY = ts.createSourceFile('api.ts', '', ts.ScriptTarget.ES2022);

function isTypeOnlyExport(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
  );
}

/** Writes declarations of one program's symbols; `root` is cut from any path the checker prints. */
class DeclarationWriter {
  readonly #program: ts.Program;
  readonly #checker: ts.TypeChecker;
  readonly #root: string;
  readonly #printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

  constructor(program: ts.Program, root: string) {
    this.#program = program;
    this.#checker = program.getTypeChecker();
    this.#root = root;
  }

  /** The declaration lines of `symbol`, each indented by two spaces. */
  lines(symbol: ts.Symbol, name: string): string[] {
    const out: string[] = [];
    const f = symbol.flags;
    if (f & ts.SymbolFlags.Class) out.push(...this.#class(symbol, name));
    if (f & ts.SymbolFlags.Interface) out.push(...this.#interface(symbol, name));
    if (f & ts.SymbolFlags.TypeAlias) out.push(...this.#typeAlias(symbol, name));
    if (f & ts.SymbolFlags.Enum) out.push(...this.#enum(symbol, name));
    if (f & ts.SymbolFlags.Function) {
      for (const sig of this.#signatures(symbol, ts.SignatureKind.Call, true))
        out.push(`function ${name}${sig}`);
    }
    if (f & ts.SymbolFlags.Variable) out.push(...this.#constant(symbol, name));
    if (f & ts.SymbolFlags.ValueModule && !(f & (ts.SymbolFlags.Class | ts.SymbolFlags.Function))) {
      out.push(
        `namespace ${name}`,
        ...this.#members(this.#checker.getTypeOfSymbol(symbol), symbol).map(indent),
      );
    }
    return out.flatMap((line) => line.split('\n')).map(indent);
  }

  #class(symbol: ts.Symbol, name: string): string[] {
    const decl = symbol.declarations?.find(ts.isClassDeclaration);
    const head = `${modifierText(decl)}class ${name}${this.#typeParameters(decl)}${this.#heritage(decl)}`;
    const statics = this.#checker.getTypeOfSymbol(symbol);
    const body = [
      ...this.#checker
        .getSignaturesOfType(statics, ts.SignatureKind.Construct)
        .filter((s) => !isHidden(s.declaration))
        .map((s) => `constructor${this.#signature(s, true)}`),
      ...this.#members(statics, symbol, 'static ', false).filter((m) => !m.startsWith('static prototype:')),
      ...this.#members(this.#checker.getDeclaredTypeOfSymbol(symbol), symbol),
    ];
    return [head, ...body.map(indent)];
  }

  /**
   * `const name: T`; a constant whose type is inferred and is an object (a frozen namespace such as
   * `Addr`'s `bound`/`pending`/`neg`) is written member by member, one per line, to keep diffs small.
   */
  #constant(symbol: ts.Symbol, name: string): string[] {
    const decl = symbol.valueDeclaration;
    const type = this.#checker.getTypeOfSymbol(symbol);
    const annotated = decl !== undefined && annotation(decl) !== undefined;
    const objectLike =
      (type.flags & ts.TypeFlags.Object) !== 0 &&
      this.#checker.getSignaturesOfType(type, ts.SignatureKind.Call).length === 0 &&
      this.#checker.getPropertiesOfType(type).length > 0;
    if (annotated || !objectLike) return [`const ${name}: ${this.#typeOf(symbol, true)}`];
    return [`const ${name}: {`, ...this.#members(type, symbol).map(indent), '}'];
  }

  #interface(symbol: ts.Symbol, name: string): string[] {
    const decl = symbol.declarations?.find(ts.isInterfaceDeclaration);
    const head = `interface ${name}${this.#typeParameters(decl)}${this.#heritage(decl)}`;
    return [head, ...this.#members(this.#checker.getDeclaredTypeOfSymbol(symbol), symbol).map(indent)];
  }

  #typeAlias(symbol: ts.Symbol, name: string): string[] {
    const decl = symbol.declarations?.find(ts.isTypeAliasDeclaration);
    if (decl === undefined) return [`type ${name}`];
    // The alias's own text (as a .d.ts keeps it), printed without comments.
    const body = this.#printer.printNode(ts.EmitHint.Unspecified, decl.type, decl.getSourceFile());
    return [`type ${name}${this.#typeParameters(decl)} = ${body}`];
  }

  #enum(symbol: ts.Symbol, name: string): string[] {
    const members = [...(symbol.exports?.values() ?? [])].map((m) => {
      const value =
        m.valueDeclaration && ts.isEnumMember(m.valueDeclaration)
          ? this.#checker.getConstantValue(m.valueDeclaration)
          : undefined;
      return `${m.name} = ${JSON.stringify(value)}`;
    });
    return [`enum ${name}`, ...members.map(indent)];
  }

  /** One line per public member of `type`: signatures, then properties and methods by name. */
  #members(type: ts.Type, owner: ts.Symbol, prefix = '', constructs = true): string[] {
    const checker = this.#checker;
    const own = (d: ts.Node | undefined) =>
      d !== undefined && (owner.declarations ?? []).some((o) => o === d.parent);
    const out: string[] = [];
    for (const sig of checker.getSignaturesOfType(type, ts.SignatureKind.Call)) {
      if (!this.#foreign(sig.declaration)) out.push(`${prefix}${this.#signature(sig, own(sig.declaration))}`);
    }
    for (const sig of constructs ? checker.getSignaturesOfType(type, ts.SignatureKind.Construct) : []) {
      if (!this.#foreign(sig.declaration))
        out.push(`${prefix}new ${this.#signature(sig, own(sig.declaration))}`);
    }
    for (const info of checker.getIndexInfosOfType(type)) {
      if (this.#foreign(info.declaration)) continue;
      const key = this.#typeText(info.keyType);
      const ro = info.isReadonly ? 'readonly ' : '';
      out.push(`${prefix}${ro}[key: ${key}]: ${this.#typeText(info.type)}`);
    }
    const props = checker
      .getPropertiesOfType(type)
      .filter((p) => !p.name.startsWith('__#') && !p.name.startsWith('#'))
      .filter((p) => !(memberFlags(p) & ts.ModifierFlags.Private))
      .filter((p) => !(p.declarations ?? []).every((d) => this.#foreign(d)))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const p of props)
      out.push(...this.#member(p, prefix, own(p.valueDeclaration ?? p.declarations?.[0])));
    return out;
  }

  #member(p: ts.Symbol, prefix: string, own: boolean): string[] {
    const flags = memberFlags(p);
    const mods = `${prefix}${flags & ts.ModifierFlags.Protected ? 'protected ' : ''}`;
    const name = memberName(p);
    const optional = p.flags & ts.SymbolFlags.Optional ? '?' : '';
    if (p.flags & ts.SymbolFlags.Method) {
      const sigs = this.#signatures(p, ts.SignatureKind.Call, own);
      return sigs.length === 0
        ? [`${mods}${name}${optional}()`]
        : sigs.map((s) => `${mods}${name}${optional}${s}`);
    }
    if (p.flags & ts.SymbolFlags.Accessor) {
      const out: string[] = [];
      const type = this.#typeOf(p, own);
      if (p.flags & ts.SymbolFlags.GetAccessor) out.push(`${mods}get ${name}(): ${type}`);
      if (p.flags & ts.SymbolFlags.SetAccessor) out.push(`${mods}set ${name}(value: ${type})`);
      return out;
    }
    const readonly = flags & ts.ModifierFlags.Readonly ? 'readonly ' : '';
    return [`${mods}${readonly}${name}${optional}: ${this.#typeOf(p, own)}`];
  }

  #signatures(symbol: ts.Symbol, kind: ts.SignatureKind, own: boolean): string[] {
    // An optional method's type is `((…) => R) | undefined`: its signatures are the function's.
    const type = this.#checker.getNonNullableType(this.#checker.getTypeOfSymbol(symbol));
    return this.#checker.getSignaturesOfType(type, kind).map((s) => this.#signature(s, own));
  }

  /**
   * `<T>(a: A, b?: B): R`: the declaration's own annotations where it has them (as a `.d.ts`
   * keeps them: `BoundName` stays `BoundName`), the checker's inferred types where not. Only for
   * a declaration of the symbol itself (`own`): a member inherited from a generic base is the
   * checker's, instantiated (`Layer<AttemptHandler>`, not the base's `Layer<H>`).
   */
  #signature(sig: ts.Signature, own: boolean): string {
    const decl = sig.declaration;
    if (!own || decl === undefined || ts.isJSDocSignature(decl)) {
      const node = this.#checker.signatureToSignatureDeclaration(
        sig,
        ts.SyntaxKind.CallSignature,
        undefined,
        BUILD,
      );
      return node === undefined ? '()' : this.#print(node).replace(/;$/, '');
    }
    const sf = decl.getSourceFile();
    const print = (node: ts.Node) => oneLine(this.#printer.printNode(ts.EmitHint.Unspecified, node, sf));
    const typeParams = decl.typeParameters?.length ? `<${decl.typeParameters.map(print).join(', ')}>` : '';
    const params = decl.parameters.map((p, i) => {
      const name = print(p.name);
      const rest = p.dotDotDotToken ? '...' : '';
      const optional = p.questionToken || p.initializer ? '?' : '';
      const symbol = sig.parameters[i];
      const type = p.type
        ? print(p.type)
        : symbol
          ? this.#typeText(this.#checker.getTypeOfSymbol(symbol))
          : 'unknown';
      return `${rest}${name}${optional}: ${type}`;
    });
    const returns = ts.isConstructorDeclaration(decl)
      ? ''
      : `: ${decl.type ? print(decl.type) : this.#typeText(sig.getReturnType())}`;
    return this.#clean(`${typeParams}(${params.join(', ')})${returns}`);
  }

  /** A symbol's type: its own annotation where it has one (see `#signature`), else the checker's. */
  #typeOf(symbol: ts.Symbol, own: boolean): string {
    const decl = symbol.valueDeclaration;
    if (own && decl !== undefined) {
      const node = annotation(decl);
      if (node !== undefined) {
        return this.#clean(
          oneLine(this.#printer.printNode(ts.EmitHint.Unspecified, node, decl.getSourceFile())),
        );
      }
    }
    return this.#typeText(this.#checker.getTypeOfSymbol(symbol));
  }

  /**
   * A type the checker knows (inferred, or inherited from a generic base), written in one line.
   * The checker orders a union's members by when it first met each type, which depends on what was
   * checked before, so members are sorted by their text: a snapshot changes only when the type does.
   */
  #typeText(type: ts.Type): string {
    const node = this.#checker.typeToTypeNode(type, undefined, BUILD);
    return node === undefined ? 'unknown' : this.#print(node);
  }

  /** A built node printed: unions sorted, type literals on one line, strings in single quotes. */
  #print(node: ts.Node): string {
    const visit = (n: ts.Node): ts.Node => {
      const child = ts.visitEachChild(n, visit, undefined);
      if (ts.isUnionTypeNode(child)) {
        const text = (t: ts.TypeNode) => this.#printer.printNode(ts.EmitHint.Unspecified, t, EMPTY);
        const sorted = [...child.types].sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
        return ts.factory.updateUnionTypeNode(child, ts.factory.createNodeArray(sorted));
      }
      if (ts.isStringLiteral(child)) return ts.factory.createStringLiteral(child.text, true);
      if (ts.isTypeLiteralNode(child)) ts.setEmitFlags(child, ts.EmitFlags.SingleLine);
      return child;
    };
    return this.#clean(oneLine(this.#printer.printNode(ts.EmitHint.Unspecified, visit(node), EMPTY)));
  }

  #typeParameters(decl: ts.DeclarationWithTypeParameterChildren | undefined): string {
    if (decl === undefined) return '';
    const params = decl.typeParameters;
    if (params === undefined || params.length === 0) return '';
    const sf = decl.getSourceFile();
    return `<${params.map((p) => this.#printer.printNode(ts.EmitHint.Unspecified, p, sf)).join(', ')}>`;
  }

  #heritage(decl: ts.ClassDeclaration | ts.InterfaceDeclaration | undefined): string {
    const clauses = decl?.heritageClauses ?? [];
    const sf = decl?.getSourceFile();
    return clauses
      .map((c) => ` ${this.#printer.printNode(ts.EmitHint.Unspecified, c, sf as ts.SourceFile).trim()}`)
      .join('');
  }

  /** A declaration the workspace does not own: the standard library's or a dependency's. */
  #foreign(decl: ts.Node | undefined): boolean {
    if (decl === undefined) return false;
    const sf = decl.getSourceFile();
    return (
      this.#program.isSourceFileDefaultLibrary(sf) ||
      this.#program.isSourceFileFromExternalLibrary(sf) ||
      sf.fileName.includes('/node_modules/')
    );
  }

  /** Paths the checker may print (`import("/abs/…")`) made relative to the workspace root. */
  #clean(text: string): string {
    return text.replaceAll(`import("${this.#root}/`, 'import("');
  }
}

/** The type a declaration writes down, if it writes one. */
function annotation(decl: ts.Declaration): ts.TypeNode | undefined {
  if (ts.isGetAccessorDeclaration(decl)) return decl.type;
  if (ts.isSetAccessorDeclaration(decl)) return decl.parameters[0]?.type;
  if (
    ts.isPropertyDeclaration(decl) ||
    ts.isPropertySignature(decl) ||
    ts.isVariableDeclaration(decl) ||
    ts.isParameter(decl)
  ) {
    return decl.type;
  }
  return undefined;
}

/** A member's modifier flags, from its first declaration (a transient symbol has none: 0). */
function memberFlags(p: ts.Symbol): ts.ModifierFlags {
  const decl = p.valueDeclaration ?? p.declarations?.[0];
  return decl === undefined ? ts.ModifierFlags.None : ts.getCombinedModifierFlags(decl);
}

/** A printed type literal on one line, as the checker writes one: `{ readonly a: A; }`. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function indent(line: string): string {
  return `  ${line}`;
}

function isHidden(decl: ts.Node | undefined): boolean {
  return (
    decl !== undefined &&
    ts.canHaveModifiers(decl) &&
    (ts.getCombinedModifierFlags(decl as ts.Declaration) & ts.ModifierFlags.Private) !== 0
  );
}

function modifierText(decl: ts.ClassDeclaration | undefined): string {
  return decl !== undefined && ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Abstract
    ? 'abstract '
    : '';
}

function memberName(p: ts.Symbol): string {
  const decl = p.declarations?.[0];
  const name = decl === undefined ? undefined : ts.getNameOfDeclaration(decl);
  if (name !== undefined && ts.isComputedPropertyName(name)) return name.getText();
  return /^[A-Za-z_$][\w$]*$/.test(p.name) ? p.name : JSON.stringify(p.name);
}

/**
 * One block per exported name of `entry`, sorted by name: a line `name: value|type|value+type
 * (declaration kinds)`, then the declaration indented by two spaces. `root` (the workspace's
 * directory) is cut from paths, so snapshots read the same in every checkout.
 */
export function apiSurface(program: ts.Program, entry: string, root = ''): string {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`${entry} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) return '';
  const writer = new DeclarationWriter(program, root);
  const blocks: [string, string][] = [];
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
    const head = `${exported.name}: ${meaning} (${kinds.join(', ')})`;
    blocks.push([exported.name, [head, ...writer.lines(target, exported.name)].join('\n')]);
  }
  blocks.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${blocks.map(([, text]) => text).join('\n')}\n`;
}
