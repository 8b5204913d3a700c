// Baton devnet explorer: polls the JSON API every slot and renders the header, the slot
// timeline and the promises. Every value from the API goes into the page as text, never
// as HTML (sidecars and the relay are not trusted to send safe markup).
"use strict";

const OUTCOME_LABELS = {
  pending: "pending",
  unrecorded: "no record",
  relay: "relay bid",
  sidecarFallback: "sidecar fallback",
  builder: "builder",
  published: "published",
  local: "local block",
  missed: "missed",
};

let refreshMs = 2000;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function short(hex) {
  if (!hex) return "";
  return hex.length > 14 ? hex.slice(0, 8) + "…" + hex.slice(-4) : hex;
}

function hash(hex, href) {
  const text = short(hex);
  const attrs = { class: "hash", title: hex };
  if (href) return el("a", Object.assign({ href }, attrs), text);
  return el("span", attrs, text);
}

function receiptLink(chain, txHash) {
  return "/api/receipt?chain=" + encodeURIComponent(chain) + "&hash=" + encodeURIComponent(txHash);
}

function utc(seconds) {
  return new Date(Number(seconds) * 1000).toISOString().slice(11, 19);
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(path + ": " + (body.message || response.status) + " (" + body.error_code + ")");
  }
  return body;
}

function setText(id, text) {
  document.getElementById(id).textContent = text;
}

function renderSummary(s) {
  setText("l1-chain-id", s.l1ChainId);
  setText("current-slot", s.currentSlot);
  setText("head-block", s.head ? "#" + s.head.number : "none yet");
  setText("validator-count", s.validators);
  const rollups = s.rollups.map((r) => r.name + " (id " + r.id + ", chain " + r.l2ChainId + ")");
  setText("rollups", rollups.length ? rollups.join(", ") : "none");
  setText("sidecars", s.sidecars.length ? s.sidecars.join(", ") : "none");
  setText("relay", s.relay ? "yes" : "none");
  setText("window-size", Number(s.windowTo) - Number(s.windowFrom) + 1);
  const counts = document.getElementById("counts");
  const items = [];
  for (const [outcome, n] of Object.entries(s.counts.slots)) {
    items.push(el("li", { class: "count-slots", "data-outcome": outcome }, (OUTCOME_LABELS[outcome] || outcome) + ": " + n));
  }
  for (const [status, n] of Object.entries(s.counts.promises)) {
    items.push(el("li", { class: "count-promises", "data-status": status }, "promises " + status + ": " + n));
  }
  counts.replaceChildren(...items);
  refreshMs = Math.max(1000, Number(s.secondsPerSlot) * 1000);
}

function renderSlots(page) {
  const rows = page.slots.map((s) => {
    const outcome = s.outcome;
    let builder = "";
    if (outcome === "relay") builder = hash(s.builderPubkey);
    else if (outcome === "sidecarFallback") builder = s.sidecar;
    else if (outcome === "builder") builder = s.url;
    else if (outcome === "missed") builder = s.reason;
    const opted = s.optedIn
      ? el("span", { class: "opted-yes", title: s.committer ? "committer " + s.committer : "builder URL is a sidecar" },
          "yes (" + (s.optInVia === "registry" ? "registry" : "builder URL") + ")")
      : el("span", { class: "opted-no" }, s.proposerIndex === null ? "" : "no");
    return el("tr", { id: "slot-" + s.slot, class: "slot outcome-" + outcome, "data-slot": s.slot },
      el("th", { scope: "row", class: "slot-number" }, s.slot),
      el("td", { class: "slot-time" }, utc(s.timestamp)),
      el("td", { class: "proposer" }, s.proposerIndex === null ? "" : "#" + s.proposerIndex + " ",
        s.proposer ? hash(s.proposer) : ""),
      el("td", { class: "opted-in" }, opted),
      el("td", { class: "outcome" }, el("span", { class: "badge" }, OUTCOME_LABELS[outcome] || outcome)),
      el("td", { class: "builder" }, builder),
      el("td", { class: "block-number" }, s.block ? s.block.number : ""),
      el("td", { class: "block-hash" }, s.block ? hash(s.block.hash) : ""),
      el("td", { class: "tx-count" }, s.block ? s.block.txCount : ""));
  });
  document.querySelector("#slots tbody").replaceChildren(...rows);
  return page.warnings || [];
}

function itemLine(item) {
  const parts = [el("span", { class: "badge status-" + item.status, title: item.reason }, item.status), " "];
  if (item.rollupId) {
    parts.push((item.rollup || "rollup " + item.rollupId) + " #" + item.position + " ");
    parts.push(hash(item.txHash, receiptLink(item.rollupId, item.txHash)));
    if (item.l2Block) parts.push(" L2 block " + item.l2Block);
    if (item.l1Tx) parts.push(" via batch ", hash(item.l1Tx, receiptLink("l1", item.l1Tx)));
  } else {
    parts.push("L1 ", hash(item.txHash, receiptLink("l1", item.txHash)));
  }
  return el("li", { class: "item", "data-tx-hash": item.txHash }, ...parts);
}

function renderPromises(page) {
  const rows = page.promises.map((p) => {
    const block = p.l1Block
      ? el("a", { href: "#slot-" + p.slot, title: p.l1Block.hash }, "#" + p.l1Block.number)
      : "";
    const onChain = [];
    if (p.onChain.dispute) onChain.push(" dispute " + p.onChain.dispute);
    if (p.onChain.slash) onChain.push(" " + p.onChain.slash);
    return el("tr", { class: "promise status-row-" + p.status, "data-request-id": p.requestId, "data-slot": p.slot },
      el("th", { scope: "row", class: "promise-slot" }, el("a", { href: "#slot-" + p.slot }, p.slot)),
      el("td", { class: "promise-status" }, el("span", { class: "badge status-" + p.status }, p.status)),
      el("td", { class: "promise-kind" }, p.kind),
      el("td", { class: "promise-sidecar" }, p.sidecar),
      el("td", { class: "promise-items" }, el("ul", { class: "items" }, ...p.items.map(itemLine))),
      el("td", { class: "promise-block" }, block),
      el("td", { class: "reason" }, p.reason, ...onChain));
  });
  document.querySelector("#promises tbody").replaceChildren(...rows);
  document.getElementById("no-promises").hidden = rows.length > 0;
  setText("promises-caption", "Commitments signed for slots " + page.from + "–" + page.to +
    (page.truncated ? " (more exist; narrow the range)" : "") + ".");
  return page.warnings || [];
}

function productLabel(award) {
  const p = award.product;
  if (!p) return short(award.productId);
  if (p.kind === "topOfBatch") return "top " + p.positions + " of rollup " + p.rollup;
  if (p.kind === "wholeBatch") return "whole batch of rollup " + p.rollup;
  if (p.kind === "bundle") return "top " + p.positions + " of rollups " + p.rollups.join("+");
  return p.kind;
}

function renderAuctions(page) {
  const rows = [];
  for (const a of page.auctions) {
    const awards = a.awards.length ? a.awards : [null];
    for (const award of awards) {
      rows.push(el("tr", { class: "auction", "data-slot": a.slot, "data-sidecar": a.sidecar },
        el("th", { scope: "row" }, el("a", { href: "#slot-" + a.slot }, a.slot)),
        el("td", {}, a.sidecar),
        el("td", { class: "auction-bids", title: "bids root " + a.bidsRoot }, String(a.bids)),
        el("td", { class: "auction-product" }, award ? productLabel(award) : "no award"),
        el("td", { class: "auction-price" }, award ? award.price : ""),
        el("td", { class: "auction-winner" }, award && award.winner ? short(award.winner) : ""),
        el("td", { class: "auction-fee" }, award ? el("span", { class: "badge fee-" + award.fee }, award.fee) : "")));
    }
  }
  document.querySelector("#auctions tbody").replaceChildren(...rows);
  document.getElementById("no-auctions").hidden = rows.length > 0;
  return page.warnings || [];
}

async function refresh() {
  const error = document.getElementById("error");
  try {
    const [summary, slots, promises, auctions] = await Promise.all([
      getJson("/api/summary"),
      getJson("/api/slots"),
      getJson("/api/promises"),
      getJson("/api/auctions"),
    ]);
    renderSummary(summary);
    const warnings = renderSlots(slots).concat(renderPromises(promises), renderAuctions(auctions));
    document.getElementById("warnings").replaceChildren(...warnings.map((w) => el("li", {}, w)));
    error.hidden = true;
    setText("updated", "Updated at slot " + summary.currentSlot + " (" + new Date().toISOString().slice(11, 19) + " UTC).");
    document.body.dataset.loaded = "true";
  } catch (e) {
    error.textContent = String(e.message || e);
    error.hidden = false;
  }
  setTimeout(refresh, refreshMs);
}

refresh();
