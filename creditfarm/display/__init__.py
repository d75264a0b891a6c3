"""Display: numbers, money and dates written the Chinese way (``formatting``) and charts with a
CJK font (``charts``). The bottom floor: any room may use it; it uses none."""
