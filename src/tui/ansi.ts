// SGR styling for text the dashboard composes itself (the board's rows are one pre-styled string
// each, see components/VmTable.tsx). Named colours only: they follow the terminal's theme.
export interface Style {
  color?: string;
  dimColor?: boolean;
  bold?: boolean;
  inverse?: boolean;
  underline?: boolean;
}

const FG: Record<string, number> = { black: 30, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, gray: 90, grey: 90 };

/** `text` wrapped in the SGR codes for `style` (each attribute switched off again after it). */
export function paint(text: string, style: Style): string {
  if (text === '') return '';
  let open = '';
  let close = '';
  const fg = style.color === undefined ? undefined : FG[style.color];
  if (fg !== undefined) {
    open += `\x1b[${fg}m`;
    close = `\x1b[39m${close}`;
  }
  if (style.bold || style.dimColor) {
    // Bold and dim share one "off" code (22).
    open += `${style.bold ? '\x1b[1m' : ''}${style.dimColor ? '\x1b[2m' : ''}`;
    close = `\x1b[22m${close}`;
  }
  if (style.underline) {
    open += '\x1b[4m';
    close = `\x1b[24m${close}`;
  }
  if (style.inverse) {
    open += '\x1b[7m';
    close = `\x1b[27m${close}`;
  }
  return open + text + close;
}
