// Copilot's API serves only known editor integrations and asks every request to say which one
// it is. These identify a VS Code Copilot Chat client, the integration GitHub documents most.
export const COPILOT_CLIENT_HEADERS: Readonly<Record<string, string>> = {
  'Editor-Version': 'vscode/1.99.3',
  'Editor-Plugin-Version': 'copilot-chat/0.26.7',
  'Copilot-Integration-Id': 'vscode-chat',
  'User-Agent': 'GitHubCopilotChat/0.26.7',
};
