// Runs once per test run: gives the differential tests one temp dir in which the first test file
// that needs the Go reference program builds it and the others reuse it; removes it at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    goReferenceDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'libcni-goref-run-'));
  project.provide('goReferenceDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
