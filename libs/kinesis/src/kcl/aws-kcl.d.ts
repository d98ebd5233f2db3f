// aws-kcl ships no type declarations; this covers what runKcl uses. The record processor shape it drives is
// typed in protocol.ts (a regular module, so it reaches the published declarations).
declare module 'aws-kcl' {
  import type { Readable, Writable } from 'node:stream';

  interface KclProcess {
    /** Starts reading MultiLang actions from the input. */
    run(): void;
    /** Detaches from the streams. */
    cleanup(): void;
  }

  function kcl(recordProcessor: object, input?: Readable, output?: Writable, error?: Writable): KclProcess;
  export = kcl;
}
