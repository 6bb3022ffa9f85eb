// The project compiles without the DOM lib (it is a Node service), and linkedom's and Readability's
// declarations lean on those globals, so they arrive untyped. These are the few members this folder
// uses, typed structurally: linkedom's nodes satisfy them.

const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;

export interface DomNode {
  readonly nodeType: number;
  readonly textContent: string | null;
  readonly childNodes: ArrayLike<DomNode>;
}

export interface DomElement extends DomNode {
  readonly localName: string;
  getAttribute(name: string): string | null;
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement>;
  remove(): void;
}

export interface DomDocument {
  readonly documentElement: DomElement | null;
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement>;
}

export const isElement = (node: DomNode): node is DomElement => node.nodeType === ELEMENT_NODE;
