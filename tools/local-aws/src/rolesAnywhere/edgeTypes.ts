/** The edge's request/response shapes (the lead will move them to the edge module). */
export interface EdgeRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

export interface EdgeResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** Resolves `undefined` when the request is not for this handler: the edge forwards it to moto. */
export type EdgeHandler = (req: EdgeRequest) => Promise<EdgeResponse | undefined>;
