/** A small structural reader for the SVG the curve writer emits: well-formedness, elements, attributes, text. */
export interface SvgElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
}

/**
 * Parses `svg`, throwing on anything that is not well-formed XML of the kind we write: unbalanced or crossed
 * tags, raw `<` or `&` in text, an unquoted attribute, more than one root. Returns every element in order.
 */
export function parseSvg(svg: string): SvgElement[] {
  const elements: SvgElement[] = [];
  const open: SvgElement[] = [];
  const token = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let roots = 0;
  let position = 0;
  for (let match = token.exec(svg); match; match = token.exec(svg)) {
    position = token.lastIndex;
    const [, closing, name, attributeText, selfClosing, text] = match;
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`unescaped & in text "${text}"`);
      if (open.length === 0 && text.trim() !== '') throw new Error(`text outside the root: "${text}"`);
      for (const element of open) element.text += text; // an element's text includes its children's
      continue;
    }
    if (closing) {
      const top = open.pop();
      if (top?.name !== name) throw new Error(`</${name}> closes <${top?.name}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of attributeText.matchAll(/([\w:-]+)="([^"]*)"/g)) attributes[key] = value;
    const element = { name, attributes, text: '' };
    elements.push(element);
    if (open.length === 0) roots += 1;
    if (!selfClosing) open.push(element);
  }
  if (position !== svg.length) throw new Error(`cannot parse at offset ${position}: "${svg.slice(position, position + 40)}"`);
  if (open.length > 0) throw new Error(`<${open[open.length - 1].name}> is never closed`);
  if (roots !== 1 || elements[0]?.name !== 'svg') throw new Error('expected exactly one <svg> root');
  return elements;
}

/** The points of a polyline as [x, y] pairs. */
export const polylinePoints = (element: SvgElement): [number, number][] =>
  element.attributes.points.trim().split(/\s+/).map((pair) => pair.split(',').map(Number) as [number, number]);
