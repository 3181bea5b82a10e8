/** Who is calling, as established by the auth guard from a valid token and a live session. */
export interface AuthContext {
  userId: number;
  sessionId: string;
  /** The raw token, echoed back by GET/PUT /api/user as RealWorld expects. */
  token: string;
}

/** Shape of our JWT payload: the user and the server-side session that can revoke it. */
export interface TokenClaims {
  sub: number;
  sid: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}
