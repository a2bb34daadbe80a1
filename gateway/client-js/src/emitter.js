// A minimal event emitter that runs in browsers and Node alike. A listener that throws does not stop the SDK or
// the other listeners: the exception goes to the 'error' listeners (never to its own 'error' listener again).

export class Emitter {
  #listeners = new Map();

  on(event, listener) {
    if (typeof listener !== 'function') throw new TypeError(`listener of '${event}' must be a function`);
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  once(event, listener) {
    const wrapped = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  off(event, listener) {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  emit(event, ...args) {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return false;
    for (const l of [...set]) {
      try {
        l(...args);
      } catch (e) {
        if (event !== 'error') this.emit('error', e);
      }
    }
    return true;
  }
}
