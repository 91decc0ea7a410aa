// Small helpers to build the page: elements, times, and the rule that an
// action's error is shown next to the control that caused it.

/** `h('button', {class: 'primary', onclick}, 'Text', child)`. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key in el && key !== 'list' && !key.includes('-')) el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A labelled field: `<label>Text <input></label>`. */
export function field(text, control, props = {}) {
  // A wrapped select's options would join its label's text: name it alone.
  if (control.tagName === 'SELECT' && !control.hasAttribute('aria-label')) control.setAttribute('aria-label', text);
  return h('label', { class: 'field', ...props }, text, control);
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const child of children.flat(Infinity)) {
    if (child !== undefined && child !== null && child !== false) el.append(child);
  }
  return el;
}

/** An error slot to put next to a control. */
export const errorSlot = () => h('span', { class: 'error', role: 'alert' });

/**
 * Runs `work` for a control: disables it meanwhile, shows a failure's
 * message in `slot` (the API's words), clears the slot on success.
 */
export async function act(control, slot, work) {
  control.disabled = true;
  slot.textContent = '';
  try {
    return await work();
  } catch (e) {
    slot.textContent = e.message || String(e);
    return undefined;
  } finally {
    control.disabled = false;
  }
}

/** A form whose submit runs `work` through `act` with its own error slot. */
export function form(props, children, button, work) {
  const slot = errorSlot();
  const el = h('form', { class: 'row', ...props }, children, button, slot);
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    act(button, slot, () => work(el));
  });
  return el;
}

/** A button that runs `work`, with its error shown beside it. */
export function action(text, work, props = {}) {
  const slot = errorSlot();
  const button = h('button', { type: 'button', ...props }, text);
  button.addEventListener('click', () => act(button, slot, work));
  return h('span', { class: 'action' }, button, slot);
}

const clockFormat = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** A virtual-clock time, in Beijing time (WeChat's days turn there). */
export const when = (unix) => clockFormat.format(new Date(unix * 1000));

/** "in 29 min" / "3 s ago", against the virtual now. */
export function relative(unix, now) {
  const d = unix - now;
  const a = Math.abs(d);
  if (d === 0) return 'now';
  const text = a < 60 ? `${a} s` : a < 7200 ? `${Math.round(a / 60)} min` : a < 172800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return d >= 0 ? `in ${text}` : `${text} ago`;
}

/** A time with its distance from now, e.g. for expiries. */
export const at = (unix, now) => h('span', { title: when(unix) }, `${when(unix).slice(11)} (${relative(unix, now)})`);

export const tag = (text, kind = '') => h('span', { class: `tag ${kind}` }, text);
export const empty = (text) => h('p', { class: 'empty' }, text);

/**
 * A button for a list that is drawn again on every change: its error, and
 * whether its call is still running, are kept in `kept` under `key`, so a
 * redraw shows them still; when the button was redrawn away meanwhile, a
 * `kefu:redraw` event asks for one more redraw to show the outcome.
 */
export function keptAction(kept, key, text, work, props = {}) {
  const slot = errorSlot();
  const state = kept.get(key) || {};
  slot.textContent = state.error || '';
  const button = h('button', { type: 'button', class: 'small', disabled: !!state.busy, ...props }, text);
  button.addEventListener('click', async () => {
    kept.set(key, { busy: true });
    await act(button, slot, work);
    if (slot.textContent) kept.set(key, { error: slot.textContent });
    else kept.delete(key);
    if (!slot.isConnected) document.dispatchEvent(new Event('kefu:redraw'));
  });
  return h('span', { class: 'action' }, button, slot);
}

/** Sets a select's options, keeping the chosen one when it is still there. */
export function options(select, values, placeholder) {
  const chosen = select.value;
  fill(select, placeholder ? h('option', { value: '' }, placeholder) : null,
    values.map(([value, text]) => h('option', { value }, text)));
  if (values.some(([v]) => v === chosen)) select.value = chosen;
}
