// Minimal typings for the parts of dcmjs 0.52 that src/dimse uses (the package ships no .d.ts).
// Only what we call is declared, so a dcmjs upgrade that changes these shows up in typecheck.
declare module 'dcmjs' {
  export interface DictionaryEntry {
    tag: string; // '(gggg,eeee)'
    vr: string;
    vm: string;
    name: string;
    version?: string;
  }

  /** dcmjs' in-memory element: `vr` plus `Value` (denaturalized form). */
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[];
    InlineBinary?: string;
  }
  export type DcmjsDict = Record<string, DcmjsElement>;

  export class ReadBufferStream {
    constructor(buffer: ArrayBuffer, littleEndian?: boolean | null, options?: { noCopy?: boolean });
    offset: number;
    size: number;
    end(): boolean;
  }

  export class WriteBufferStream {
    constructor(defaultSize?: number, littleEndian?: boolean);
    size: number;
    getBuffer(start?: number, end?: number): ArrayBuffer;
  }

  export class DicomMessage {
    static _read(
      stream: ReadBufferStream,
      syntax: string,
      options?: { ignoreErrors?: boolean; untilTag?: string | null; includeUntilTagValue?: boolean; stopOnGreaterTag?: boolean },
    ): DcmjsDict;
    static write(dict: DcmjsDict, stream: WriteBufferStream, syntax: string, writeOptions?: Record<string, unknown>): number;
    static lookupTag(tag: unknown): DictionaryEntry | undefined;
  }

  export class DicomMetaDictionary {
    static dictionary: Record<string, DictionaryEntry | undefined>;
    static nameMap: Record<string, DictionaryEntry | undefined>;
    static naturalizeDataset(dict: DcmjsDict): Record<string, unknown>;
  }

  export const data: {
    ReadBufferStream: typeof ReadBufferStream;
    WriteBufferStream: typeof WriteBufferStream;
    DicomMessage: typeof DicomMessage;
    DicomMetaDictionary: typeof DicomMetaDictionary;
  };

  const dcmjs: { data: typeof data; log: { setLevel(level: string | number): void; getLevel(): number } };
  export default dcmjs;
}
