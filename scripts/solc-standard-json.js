// Reads a solc standard-JSON input on stdin, compiles it with solcjs, writes the output.
//
// Used by scripts/solc. The solcjs command-line tool calls process.exit() before a piped
// stdout has drained, which cuts large outputs at 128 KiB; this writes synchronously.
'use strict';
const fs = require('fs');
const path = require('path');

const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));
const input = fs.readFileSync(0, 'utf8');
const output = Buffer.from(solc.compile(input), 'utf8');
let offset = 0;
while (offset < output.length) {
  try {
    offset += fs.writeSync(1, output, offset, output.length - offset);
  } catch (err) {
    if (err.code !== 'EAGAIN') throw err;
  }
}
