// Tests read JSON answers loosely and assert on their shape; production code never does this.
declare global {
  interface Response {
    json(): Promise<any>;
  }
}
export {};
