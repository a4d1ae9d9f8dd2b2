export async function mcpCommand(_argv: string[]): Promise<number> {
  process.stderr.write('mcp: not implemented yet\n');
  return 1;
}
