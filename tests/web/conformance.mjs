// GraphQL conformance: the reference implementation (npm graphql) and brink
// must accept and reject the same documents. brink's schema is taken from
// brink itself (introspection -> buildClientSchema), which must succeed;
// EPFIOT's fields are then checked against their published signatures.
//
//   node conformance.mjs URL KEY      prints "ok ..."/"FAIL ..." lines and a
//                                     closing "conformance: N passed, N failed"
import {
  buildClientSchema, getIntrospectionQuery, parse, validate, printSchema,
} from 'graphql';

const [url, key] = process.argv.slice(2);
let passed = 0, failed = 0;
function check(name, ok, detail = '') {
  if (ok) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}

async function brink(query, variables, operationName, auth = true) {
  const headers = { 'Content-Type': 'application/json' };
  if (auth) headers.Authorization = `Bearer ${key}`;
  const res = await fetch(`${url}/graphql`, {
    method: 'POST', headers, body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: res.status, body: await res.json() };
}

// [document, expected by both: 'valid' | 'invalid', variables?, operationName?]
const cases = [
  // ---- valid ----
  ['{ me { id name } }', 'valid'],
  ['query { getVms { id name state ip memory vcpu } }', 'valid'],
  ['query { getusb { id info } }', 'valid'],
  ['query Q($id: ID!) { getVm(id: $id) { name things { id name } } }', 'valid', { id: '1' }],
  ['{ a: me { id } b: me { name } }', 'valid'],
  ['query { me { ...U } } fragment U on User { id name }', 'valid'],
  ['{ me { ... on User { id } ... { name } } }', 'valid'],
  ['query ($s: Boolean!) { me { id @skip(if: $s) name @include(if: true) } }', 'valid', { s: true }],
  ['mutation { attachThing(thingID: """block\n   string""", vmID: "1") }', 'valid'],
  ['query ($first: Int = 2) { me { vmsConnection(first: $first) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } } }', 'valid'],
  ['{ __schema { types { name kind } queryType { name } } }', 'valid'],
  ['{ __type(name: "Vm") { fields { name type { name kind ofType { name } } } } }', 'valid'],
  ['{ __typename }', 'valid'],
  ['# a comment\n{ me { id, name, } }', 'valid'],
  ['{ getThing(id: "\\u0041\\u{1F600}\\uD83D\\uDE00") { id } }', 'valid'],
  ['mutation { createVm(vm: {name: "x", base: "b.qcow2", devIDs: 3}) { id } }', 'valid'],
  ['{ me { id id } }', 'valid'],
  ['{ getVm(id: "1") { id } getVm(id: "1") { name } }', 'valid'],
  ['mutation ($t: ThingInput!) { attachThing(thingID: "x", vmID: "y") c: createThingVm(thing: $t, vmID: "nope") { id } }', 'valid', { t: { name: 'n', info: 'i', server: '' } }],
  ['query ($id: ID = "x") { getVm(id: $id) { id } }', 'valid'],
  ['mutation ($c: Float!) { createService(service: {kind: "bogus", cpuMin: $c, cpuMax: 1}) { id } }', 'valid', { c: 0.5 }],
  ['{ getVm(id: 1) { id } }', 'valid'],
  ['query A { me { id } } query B { me { name } }', 'valid', undefined, 'B'],
  ['{ me { ...U @include(if: false) } } fragment U on User { id }', 'valid'],
  ['{ me { ...A } } fragment A on User { ...B id } fragment B on User { name }', 'valid'],
  ['query { me { vmsConnection { totalCount } } }', 'valid'],
  ['{ me { id } ... on Query { me { name } } }', 'valid'],
  ['query Q($v: Boolean!) { __typename @skip(if: $v) v: __typename } mutation M($v: [Int]) { createVm(vm: {name: "x", base: "y", devIDs: $v}) { id } }', 'valid', { v: [1] }, 'M'],
  ['mutation { createVm(vm: {name: "x", base: "b", config: {user: "u", password: "p", sshKeys: ["ssh-ed25519 AAAA k"]}}) { owner { id } name base state } }', 'valid'],
  ['{ services { id kind state cpuMin cpuMax cpuAssigned ports things } things { id name info vm { id } } system { capacity } }', 'valid'],
  ['query ($n: String!) { __type(name: $n) { name enumValues(includeDeprecated: true) { name } inputFields { name defaultValue } } }', 'valid', { n: 'VmInput' }],
  ['{ f: __schema { directives { name locations args { name } } } }', 'valid'],
  ['query Named { me { id } }', 'valid'],
  ['{ me { name @skip(if: false) @include(if: true) } }', 'valid'],
  ['{ getVm(id: "\\"quoted\\" \\\\ \\/ \\b \\f \\n \\r \\t") { id } }', 'valid'],
  ['{ getVm(id: """ """) { id } }', 'valid'],
  ['{ getVm(id: -0) { id } }', 'valid'],
  ['mutation { createVm(vm: {name: "x", base: "b", memory: -2147483648}) { id } }', 'valid'],
  ['\ufeff{ me { id } }', 'valid'],
  ['{ me { vmsConnection(first: null, after: null) { totalCount } } }', 'valid'],
  // ---- invalid ----
  ['{ nope }', 'invalid'],
  ['{ me }', 'invalid'],
  ['{ me { id { x } } }', 'invalid'],
  ['{ getVm { id } }', 'invalid'],
  ['{ getVm(id: "1", foo: 1) { id } }', 'invalid'],
  ['{ getVm(id: "1", id: "2") { id } }', 'invalid'],
  ['{ getVm(id: 1.5) { id } }', 'invalid'],
  ['{ getVm(id: true) { id } }', 'invalid'],
  ['{ getVm(id: null) { id } }', 'invalid'],
  ['query ($id: ID) { getVm(id: $id) { id } }', 'invalid', { id: '1' }],
  ['query ($id: Int!) { getVm(id: $id) { id } }', 'invalid', { id: 1 }],
  ['query { getVm(id: $id) { id } }', 'invalid'],
  ['query ($x: Int) { me { id } }', 'invalid'],
  ['query ($x: Vm) { me { id } }', 'invalid'],
  ['query ($x: Nope) { me { id } }', 'invalid'],
  ['query ($x: ID!, $x: ID!) { getVm(id: $x) { id } }', 'invalid', { x: '1' }],
  ['query A { me { id } } query A { me { name } }', 'invalid', undefined, 'A'],
  ['{ me { id } } query B { me { id } }', 'invalid', undefined, 'B'],
  ['{ me { id } } fragment F on User { id }', 'invalid'],
  ['{ me { ...F } } fragment F on User { ...G } fragment G on User { ...F }', 'invalid'],
  ['{ me { ...F } } fragment F on User { id ...F }', 'invalid'],
  ['{ me { ...Missing } }', 'invalid'],
  ['{ me { ...F } } fragment F on Nope { id }', 'invalid'],
  ['{ me { ...F } } fragment F on String { id }', 'invalid'],
  ['{ me { ...F } } fragment F on Vm { id }', 'invalid'],
  ['{ me { ... on Vm { id } } }', 'invalid'],
  ['{ me { id @skip } }', 'invalid'],
  ['{ me { id @foo } }', 'invalid'],
  ['{ me { id @skip(if: true) @skip(if: false) } }', 'invalid'],
  ['query @skip(if: true) { me { id } }', 'invalid'],
  ['{ me { x: id x: name } }', 'invalid'],
  ['{ getVm(id: "1") { id } getVm(id: "2") { id } }', 'invalid'],
  ['{ a: getVms { id } a: getUsb { id } }', 'invalid'],
  ['{ getVm(id: "1") { dev { id } } getVm(id: "1") { dev: things { id } } }', 'invalid'],
  ['{ me { ...A ...B } } fragment A on User { n: id } fragment B on User { n: name }', 'invalid'],
  ['mutation { createThing(thing: {name: "x", info: "y"}) { id } }', 'invalid'],
  ['mutation { createThing(thing: {name: "x", info: "y", server: "", bogus: 1}) { id } }', 'invalid'],
  ['mutation { createThing(thing: {name: "x", name: "z", info: "y", server: ""}) { id } }', 'invalid'],
  ['mutation { createVm(vm: {name: "x", base: "b", memory: 3000000000}) { id } }', 'invalid'],
  ['mutation { createVm(vm: {name: "x", base: "b", memory: "256"}) { id } }', 'invalid'],
  ['mutation { createVm(vm: {name: "x", base: "b", devIDs: [1, "2"]}) { id } }', 'invalid'],
  ['mutation { createVm(vm: {name: "x", base: "b", config: 3}) { id } }', 'invalid'],
  ['{ me { id }', 'invalid'],
  ['{ me { id } } }', 'invalid'],
  ['query { }', 'invalid'],
  ['{ "x" }', 'invalid'],
  ['{ getVm(id: ) { id } }', 'invalid'],
  ['{ me { id } } extra', 'invalid'],
  ['type Foo { a: Int }', 'invalid'],
  ['{ me { 1a } }', 'invalid'],
  ['{ getVm(id: "unterminated) { id } }', 'invalid'],
  ['{ getVm(id: "\\x") { id } }', 'invalid'],
  ['{ getVm(id: 00) { id } }', 'invalid'],
  ['{ getVm(id: 1.) { id } }', 'invalid'],
  ['{ getVm(id: 1e) { id } }', 'invalid'],
  ['{ getVm(id: 12abc) { id } }', 'invalid'],
  ['{ getVm(id: "\\uD800") { id } }', 'invalid'],
  ['{ getVm(id: "\\u{110000}") { id } }', 'invalid'],
  ['{ me { ... on } }', 'invalid'],
  ['fragment on on User { id }', 'invalid'],
  ['{ __schema { nope } }', 'invalid'],
  ['{ me { __schema { types { name } } } }', 'invalid'],
  ['mutation { getVms { id } }', 'invalid'],
  ['{ login(name: "a", password: "b") { token } }', 'invalid'],
  ['query ($v: [Int]) { me { vmsConnection(first: $v) { totalCount } } }', 'invalid'],
  ['query ($v: Int = "x") { me { vmsConnection(first: $v) { totalCount } } }', 'invalid'],
  ['query ($v: Int! = null) { me { vmsConnection(first: $v) { totalCount } } }', 'invalid'],
  ['', 'invalid'],
  ['   # only a comment', 'invalid'],
  ['{ me { id } } ?', 'invalid'],
  ['{ me { id } } .', 'invalid'],
  ['{ me { id } } ..', 'invalid'],
  ['{ me(x: $) { id } }', 'invalid'],
  ['{ me { name(x: 1) } }', 'invalid'],
  ['query ($x: Boolean = $y) { me { id @skip(if: $x) } }', 'invalid'],
  ['{ me { id @include(if: "yes") } }', 'invalid'],
  ['{ getVm(id: "1") { state @deprecated } }', 'invalid'],
  ['{ me { ...F } } fragment F on User @skip(if: true) { id } fragment F on User { id }', 'invalid'],
  ['{ me { vmsConnection(first: 1, first: 2) { totalCount } } }', 'invalid'],
  ['{ me { vmsConnection { edges { node { owner { vms { dev { nope } } } } } } } }', 'invalid'],
];

function graphqlJsVerdict(schema, q) {
  let doc;
  try { doc = parse(q); } catch (e) { return ['invalid', e.message]; }
  const errs = validate(schema, doc);
  return errs.length ? ['invalid', errs[0].message] : ['valid', ''];
}

const intro = await brink(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }), undefined, undefined, false);
check('introspection runs without a session', intro.status === 200 && !intro.body.errors,
  JSON.stringify(intro.body).slice(0, 300));
let schema;
try { schema = buildClientSchema(intro.body.data); } catch (e) { check('buildClientSchema accepts brink\'s introspection', false, e.message); process.exit(1); }
check('buildClientSchema accepts brink\'s introspection', true);

// EPFIOT's signatures, exactly (../shared/EPFIOT-API.md)
const sigs = new Set();
for (const type of Object.values(schema.getTypeMap())) {
  if (!type.getFields || type.name.startsWith('__')) continue;
  for (const f of Object.values(type.getFields())) {
    const args = (f.args || []).map((a) => `${a.name}: ${a.type}`).join(', ');
    const dv = f.defaultValue !== undefined ? ` = ${JSON.stringify(f.defaultValue)}` : '';
    sigs.add(f.args ? `${f.name}${args ? `(${args})` : ''}: ${f.type}` : `${f.name}: ${f.type}${dv}`);
  }
}
const expected = [
  'getUser(id: ID!): User', 'getUsers: [User]', 'getVm(id: ID!): Vm', 'getDev(id: ID!): Hostdev',
  'getThing(id: ID!): Thing', 'getVms: [Vm]', 'getUsb: [Hostdev]',
  'createVm(vm: VmInput!): Vm', 'updateVm(vm: VmInput!): Vm', 'deleteVm(userID: ID!, vmID: ID!): Boolean',
  'createThing(thing: ThingInput!): Thing', 'createThingVm(thing: ThingInput!, vmID: ID!): Thing',
  'attachThing(thingID: ID!, vmID: ID!): Boolean', 'attachDevice(devID: ID!, vmID: ID!): Boolean',
  'detachDevice(devID: ID!, vmID: ID!): Boolean', 'powerON(vmID: ID!): Vm', 'powerOFF(vmID: ID!): Vm',
  'destroyVM(vmID: ID!): Boolean', 'forceDestroyVM(vmID: ID!): Boolean', 'forceOFF(vmID: ID!): Boolean',
  'vmsConnection(first: Int, after: ID): UserVmConnection!', 'totalCount: Int!', 'edges: [UserVmEdge]',
  'pageInfo: PageInfo!', 'cursor: ID!', 'hasNextPage: Boolean!', 'hasPreviousPage: Boolean!',
  'memory: Int = 256', 'vcpu: Int = 1', 'devIDs: [Int]', 'thingIDs: [Int]', 'config: ConfigInput',
  'server: String!', 'base: String!',
];
for (const e of expected) check(`schema has ${e}`, sigs.has(e), [...sigs].filter((x) => x.startsWith(e.split(/[(:]/)[0])).join(' | '));
check('printSchema prints brink\'s schema', printSchema(schema).includes('type Query'));
const vm = schema.getType('Vm').getFields();
for (const [f, t] of [['id', 'ID'], ['owner', 'User'], ['name', 'String'], ['base', 'String'], ['vcpu', 'Int'],
  ['memory', 'Int'], ['ip', 'String'], ['state', 'String'], ['dev', '[Hostdev]'], ['things', '[Thing]']])
  check(`Vm.${f}: ${t}`, vm[f] && String(vm[f].type) === t);

for (const [q, want, vars, op] of cases) {
  const [js, jsMsg] = graphqlJsVerdict(schema, q);
  const r = await brink(q, vars, op);
  const ours = r.status === 400 ? 'invalid' : 'valid';
  const label = JSON.stringify(q).slice(0, 90);
  check(`graphql-js says ${want}: ${label}`, js === want, jsMsg);
  check(`brink agrees (${ours}): ${label}`, ours === js,
    `status=${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  if (r.status === 400)
    check(`brink's refusal is a GraphQL error list: ${label}`,
      Array.isArray(r.body.errors) && r.body.errors.length > 0 && !('data' in r.body) &&
      typeof r.body.errors[0].message === 'string');
}
console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
