/** Types of scripts/import-graph.mjs, for the TypeScript tests that import it. */
export declare const repoRoot: string;
export declare function typeScriptFiles(dir: string): string[];
export declare function isProductionSource(file: string): boolean;
export declare function importedWorkspacePackages(file: string): string[];
export declare function importGraph(files: readonly string[]): Map<string, string[]>;
export declare function importCycles(graph: Map<string, string[]>, root: string): string[][];
export declare function projects(
  root?: string,
): { name: string; dir: string; kind: 'packages' | 'examples' }[];
export declare function packageGraph(root?: string): Map<string, string[]>;
export declare function folderGraph(srcDir: string): Map<string, string[]>;
export declare function mermaid(graph: Map<string, string[]>): string;
export declare function packagesMermaid(root?: string): string;
