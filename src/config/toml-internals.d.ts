// The `toml` package (3.0.0, pinned) types only its `parse`, which returns
// plain values and drops every position and the integer/float distinction.
// Its two halves, the PEG parser (text → nodes with line and column) and the
// compiler (nodes → values, with TOML's redefinition rules), are plain
// CommonJS modules without an `exports` map, so they can be imported directly.

declare module 'toml/lib/parser.js' {
  export interface TomlAstNode {
    type: string;
    value: unknown;
    line: number;
    column: number;
    key?: string;
  }
  const parser: { parse(input: string): TomlAstNode[] };
  export default parser;
}

declare module 'toml/lib/compiler.js' {
  const compiler: { compile(nodes: unknown[]): unknown };
  export default compiler;
}
