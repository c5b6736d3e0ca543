#!/usr/bin/env node
// Parse and analyse KQL queries with Kusto.Language (Microsoft's KQL parser and semantic checker,
// as used by Azure Data Explorer's editors), against the schema of the Log Analytics tables the
// queries read, so that a misspelt column or function is an error here and not in the user's workspace.
// Usage: node kql.mjs FILE...   One JSON line per file: {"file", "ok", "errors"}.
// Exit 0 when every query is clean, 1 when one is not, 2 when a file cannot be read.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
const K = globalThis.Kusto.Language;

// https://learn.microsoft.com/azure/azure-monitor/reference/tables/azfwnetworkrule
const TABLES = {
  AZFWNetworkRule: '(TimeGenerated:datetime, Action:string, ActionReason:string, DestinationIp:string, DestinationPort:int, '
    + 'Policy:string, Protocol:string, Rule:string, RuleCollection:string, RuleCollectionGroup:string, SourceIp:string, '
    + 'SourcePort:int, SourceSystem:string, TenantId:string, Type:string, _ResourceId:string, _SubscriptionId:string)',
};

const tables = Object.entries(TABLES).map(([name, schema]) => new K.Symbols.TableSymbol.$ctor7(name, schema, null));
const database = new K.Symbols.DatabaseSymbol.$ctor2('workspace', null, tables);
const globals = K.GlobalState.Default.WithCluster(new K.Symbols.ClusterSymbol.ctor('workspace', [database])).WithDatabase(database);

let failed = 0;
for (const file of process.argv.slice(2)) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    console.log(JSON.stringify({ file, ok: false, errors: [`cannot read: ${error.message}`] }));
    process.exit(2);
  }
  const diagnostics = K.KustoCode.ParseAndAnalyze(text, globals).GetDiagnostics();
  const errors = [];
  for (let i = 0; i < diagnostics.Count; i++) {
    const d = diagnostics.getItem(i);
    errors.push(`${d.Severity} at ${d.Start}: ${d.Message}`);
  }
  if (errors.length) failed++;
  console.log(JSON.stringify({ file, ok: errors.length === 0, errors }));
}
process.exit(failed ? 1 : 0);
