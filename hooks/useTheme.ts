// Palette: the 16 named ANSI colours only (they follow the user's terminal theme, so they read on
// light and dark backgrounds), attributes for emphasis, and nothing at all under NO_COLOR.
import { createContext, useContext } from 'react';
import type { Tone } from '../src/tui/format.js';

export interface Theme {
  color: boolean;
  ascii: boolean;
}

export const ThemeContext = createContext<Theme>({ color: true, ascii: false });

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

export interface ToneStyle {
  color?: string;
  dimColor?: boolean;
  bold?: boolean;
}

export function toneStyle(theme: Theme, tone: Tone): ToneStyle {
  if (!theme.color) {
    return tone === 'attention' || tone === 'error' ? { bold: true } : {};
  }
  switch (tone) {
    case 'ok':
      return { color: 'green' };
    case 'warn':
      return { color: 'yellow' };
    case 'error':
      return { color: 'red', bold: true };
    case 'busy':
      return { color: 'cyan' };
    case 'attention':
      return { color: 'magenta', bold: true };
    case 'dim':
      return { dimColor: true };
    default:
      return {};
  }
}
