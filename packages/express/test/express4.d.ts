// Express 4 under another name, typed as the Express the tests use.
declare module 'express4' {
  import express from 'express'
  export default express
}
