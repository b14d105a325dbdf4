export interface ExpectedFlow {
  name: string;
  file: string;
  line: number;
}
export function makeCorpus(options: { out: string; files?: number; flowEvery?: number; seed?: number }): ExpectedFlow[];
