// n8n loads this package's nodes and credentials from the "n8n" section of package.json;
// this entry point only exists so `require('n8n-nodes-kadoa')` resolves.
module.exports = {};
