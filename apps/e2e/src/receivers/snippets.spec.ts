import { MissingToolchainError, requireTool } from './snippets';

describe('receiver snippets: toolchains', () => {
  it('a missing toolchain is one clear line naming it and what to install, never a silent pass', async () => {
    const err = await requireTool('no-such-go-toolchain', ['version'], 'install Go 1.21+').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingToolchainError);
    expect((err as Error).message).toBe('no-such-go-toolchain not found: install Go 1.21+');
  });

  it('a present one passes', async () => {
    await expect(requireTool(process.execPath, ['--version'], 'node')).resolves.toBeUndefined();
  });
});
