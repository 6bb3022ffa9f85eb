/** An OpenAI-style API's own reason for an error answer (`{"error": {"message": …}}`), as `: reason`, or '' when it gave none. */
export async function apiErrorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const m = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    return m ? `: ${m.slice(0, 300)}` : '';
  } catch {
    return '';
  }
}
