// Parse a GIFT file with gift-pegjs and print the parsed questions as JSON (used by the tests).
// Usage: node tests/gift_parse.js FILE.gift   (gift-pegjs installed under tests/node/)
"use strict";
const fs = require("fs");
const path = require("path");
const parser = require(path.join(__dirname, "node", "node_modules", "gift-pegjs"));

const text = fs.readFileSync(process.argv[2], "utf8");
try {
  process.stdout.write(JSON.stringify(parser.parse(text)));
} catch (err) {
  const where = err.location ? ` at line ${err.location.start.line}` : "";
  process.stderr.write(`gift-pegjs: ${err.message}${where}\n`);
  process.exit(1);
}
