'use strict';
// What the node flows share: kefu's control API over plain HTTP (the human
// side), rows with their results, and the result file sdk/run.sh reads.

const http = require('http');
const fs = require('fs');

// A 1x1 PNG: kefu checks an avatar's first bytes.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

function control(base, method, path, body) {
  const u = new URL(base);
  const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, method, path,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {},
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        if (res.statusCode >= 300) {
          return reject(new Error(`${method} ${path}: HTTP ${res.statusCode} ${raw.slice(0, 200)}`));
        }
        resolve(raw ? JSON.parse(raw) : null);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

function expect(cond, what) {
  if (!cond) {
    throw new Error(typeof what === 'string' ? what : JSON.stringify(what));
  }
}

class Rows {
  constructor(rows) {
    this.rows = rows; // [[row, calls]]
    this.results = {};
  }

  async run(row, fn) {
    try {
      await fn();
      this.results[row] = 'pass';
    } catch (e) {
      const why = `${e.name || 'Error'}: ${e.message}`.replace(/\n/g, ' ').replace(/\|/g, '/');
      this.results[row] = `fail (${why.slice(0, 200)})`;
      console.error(`${row}:`, e);
    }
  }

  write(out, meta) {
    const rows = this.rows.map(([method, calls]) => ({
      method, calls, result: this.results[method] || 'fail (not reached)',
    }));
    fs.writeFileSync(out, JSON.stringify(Object.assign({}, meta, { rows }), null, 1));
  }
}

module.exports = { PNG, control, expect, Rows };
