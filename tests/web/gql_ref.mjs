// The reference for bench/bench-graphql.sh: graphql-js (npm graphql) serving
// brink's schema (from brink's own introspection) over node:http, with the
// same data brink returned (the VMs), checking the same bearer
// key. Every request parses, validates and executes like brink's.
//
//   node gql_ref.mjs PORT KEY INTROSPECTION.json DATA.json
import http from 'node:http';
import fs from 'node:fs';
import { buildClientSchema, graphql } from 'graphql';

const [port, key, introFile, dataFile] = process.argv.slice(2);
const schema = buildClientSchema(JSON.parse(fs.readFileSync(introFile, 'utf8')).data);
const data = JSON.parse(fs.readFileSync(dataFile, 'utf8')).data;
const rootValue = { getVms: () => data.getVms };

http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', async () => {
    if (req.headers.authorization !== `Bearer ${key}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end('{"errors":[{"message":"unauthorized"}]}');
      return;
    }
    const { query, variables, operationName } = JSON.parse(body);
    const result = await graphql({ schema, source: query, rootValue, variableValues: variables, operationName });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(result));
  });
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
