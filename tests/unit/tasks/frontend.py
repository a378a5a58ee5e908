"""Run a task's frontend/custom.js under Node with a stand-in for the chat page's `Parley`
object, so the components it registers can be rendered and clicked in a unit test.

The stand-in `Parley.h(tag, attrs, ...children)` builds small element objects (string
children become text) that support what components use: properties such as `disabled` and
`value`, `textContent`, and `addEventListener`. A scenario is a JS function body that gets
`registered` (what `Parley.registerComponents` received), `render(name, agentId, props)`
and `sent` (every `send(...)` a component made), and returns a JSON value.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HARNESS = r"""
const fs = require('fs');
const vm = require('vm');
const [customPath, scenario] = process.argv.slice(1);

class El {
  constructor(tag, attrs) {
    this.tag = tag; this.attrs = attrs || {}; this.children = []; this.listeners = {};
    this.disabled = false; this.value = this.attrs.value === undefined ? '' : String(this.attrs.value);
    this._text = '';
  }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  dispatch(type, extra) {
    (this.listeners[type] || []).forEach((fn) => fn(Object.assign({type, preventDefault() {}}, extra)));
  }
  click() { if (!this.disabled) { this.dispatch('click'); } }
  choose(value) { this.value = String(value); this.dispatch('change'); }
  get textContent() { return this._text + this.children.map((c) => c.textContent).join(''); }
  set textContent(value) { this._text = String(value); this.children = []; }
  findAll(test) {
    const found = [];
    const walk = (node) => { if (test(node)) { found.push(node); } node.children.forEach(walk); };
    walk(this);
    return found;
  }
  button(label) { return this.findAll((n) => n.tag === 'button' && n.textContent === label)[0]; }
  byTag(tag) { return this.findAll((n) => n.tag === tag); }
}
class Text {
  constructor(text) { this.tag = '#text'; this.attrs = {}; this.text = text; this.children = []; }
  get textContent() { return this.text; }
}

function h(tag, attrs, ...children) {
  const el = new El(tag, attrs);
  children.forEach((child) => {
    if (child === null || child === undefined || child === false) {
      throw new Error('h() was given an empty child');
    }
    el.children.push(typeof child === 'string' ? new Text(child) : child);
  });
  if (tag === 'select' && el.value === '' && el.children.length) { el.value = el.children[0].value; }
  return el;
}

let registered = null;
const sent = [];
const Parley = {
  h,
  core: {TextResponse: (props) => h('core-text-response', {})},
  registerComponents(components) { registered = components; },
};
vm.runInNewContext(fs.readFileSync(customPath, 'utf8'), {Parley}, {filename: customPath});

function render(name, agentId, props) {
  const byAgent = registered[name] || {};
  const component = byAgent[agentId] || byAgent['default'];
  if (!component) { return null; }
  return component(Object.assign({agentId, taskData: {}, disabled: false, send: (act) => sent.push(act)}, props));
}
const result = new Function('registered', 'render', 'sent', scenario)(registered, render, sent);
process.stdout.write(JSON.stringify(result === undefined ? null : result));
"""


def run_custom_js(custom_js: Path, scenario: str) -> Any:
    """Load `custom_js` with the stand-in page and answer what `scenario` returns."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed; the custom.js checks need it")
    done = subprocess.run([node, "-e", HARNESS, str(custom_js), scenario],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
