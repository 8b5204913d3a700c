// Exports the deployable contracts' ABI and bytecode from forge's build output into
// contracts/abi/<Name>.json, the files the Rust bindings load with alloy's `sol!`.
//
//   node scripts/abi.js           rebuild with forge and write contracts/abi/
//   node scripts/abi.js --check   rebuild into a scratch folder and fail if contracts/abi/ differs
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

// The contracts Rust deploys and calls. Keep in step with contracts/rust/lib.rs.
const CONTRACTS = ['RollupInbox', 'Registry', 'Slasher', 'MarketDisputes'];

const root = path.resolve(__dirname, '..');
const contractsDir = path.join(root, 'contracts');
const abiDir = path.join(contractsDir, 'abi');
const forge = path.join(root, 'node_modules', '.bin', 'forge');
const check = process.argv.includes('--check');

if (!fs.existsSync(forge)) {
  console.error('scripts/abi.js: forge is not installed; run `npm install` in the repository root');
  process.exit(2);
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-abi-'));
try {
  execFileSync(forge, ['build', '--skip', 'test', '--out', out, '--cache-path', path.join(out, 'cache')], {
    cwd: contractsDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stale = [];
  for (const name of CONTRACTS) {
    const artifactPath = path.join(out, `${name}.sol`, `${name}.json`);
    if (!fs.existsSync(artifactPath)) {
      if (name !== 'RollupInbox' && !fs.existsSync(path.join(contractsDir, 'src', `${name}.sol`))) {
        continue; // not written yet
      }
      console.error(`scripts/abi.js: forge produced no artifact for ${name}`);
      process.exit(2);
    }
    const artifact = JSON.parse(fs.readFileSync(artifactPath, 'utf8'));
    const exported = {
      abi: artifact.abi,
      bytecode: { object: artifact.bytecode.object },
      deployedBytecode: { object: artifact.deployedBytecode.object },
    };
    const text = JSON.stringify(exported, null, 2) + '\n';
    const target = path.join(abiDir, `${name}.json`);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : null;
    if (current === text) continue;
    if (check) {
      stale.push(name);
    } else {
      fs.mkdirSync(abiDir, { recursive: true });
      fs.writeFileSync(target, text);
      console.log(`wrote contracts/abi/${name}.json`);
    }
  }
  if (stale.length > 0) {
    console.error(
      `ABI check FAILED: contracts/abi/ is stale for ${stale.join(', ')}; run \`node scripts/abi.js\` and commit the result`,
    );
    process.exit(1);
  }
  if (check) console.log(`ABI check passed: contracts/abi/ matches the Solidity sources (${CONTRACTS.join(', ')})`);
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
