import type { TemplateFile, TemplateSpecification } from './template.entity.ts';

export interface BuiltInTemplate {
  slug: string;
  name: string;
  description: string;
  category: string;
  specifications: TemplateSpecification[];
  files: TemplateFile[];
}

const spec = (category: string, key: string, value: string): TemplateSpecification => ({ category, key, value });

// Shipped with every install; seeded on start when their slug is missing, so admins' edits survive restarts.
export const BUILT_IN_TEMPLATES: readonly BuiltInTemplate[] = [
  {
    slug: 'web-application',
    name: 'Web application',
    description: 'A server-rendered React web application with TypeScript, tests and CI.',
    category: 'web',
    specifications: [
      spec('languages', 'TypeScript', 'Strict mode, ES2022 target'),
      spec('frameworks', 'Next.js', 'App router, server components'),
      spec('frameworks', 'React', 'Function components and hooks'),
      spec('testing', 'Vitest', 'Unit tests next to the code; Playwright for end-to-end'),
      spec('ci', 'GitHub Actions', 'Lint, typecheck, test on every pull request'),
      spec('deployment', 'Container', 'One image, configured by environment variables'),
      spec('security', 'Authentication', 'Session cookies, CSRF protection, secure headers'),
    ],
    files: [
      { path: 'package.json', language: 'json', content: '{\n  "name": "web-application",\n  "private": true,\n  "scripts": { "dev": "next dev", "build": "next build", "test": "vitest run" }\n}\n' },
      { path: 'app/page.tsx', language: 'typescript', content: 'export default function Home() {\n  return <main><h1>Hello</h1></main>;\n}\n' },
      { path: 'README.md', language: 'markdown', content: '# Web application\n\n`npm install`, then `npm run dev`.\n' },
    ],
  },
  {
    slug: 'rest-api',
    name: 'REST API',
    description: 'A JSON REST API on Node.js with validation, OpenAPI and PostgreSQL.',
    category: 'backend',
    specifications: [
      spec('languages', 'TypeScript', 'Strict mode'),
      spec('frameworks', 'Fastify', 'Schema-validated routes, OpenAPI generated from the schemas'),
      spec('database', 'PostgreSQL', 'Migrations in version control; one schema per service'),
      spec('testing', 'Integration tests', 'Against a real database in CI'),
      spec('api', 'Versioning', 'URL prefix /v1; breaking changes get a new version'),
      spec('observability', 'Logging', 'Structured JSON logs with request ids'),
    ],
    files: [
      { path: 'src/server.ts', language: 'typescript', content: "import Fastify from 'fastify';\n\nconst app = Fastify({ logger: true });\napp.get('/v1/health', async () => ({ status: 'ok' }));\nawait app.listen({ port: 3000 });\n" },
      { path: 'openapi.yaml', language: 'yaml', content: 'openapi: 3.1.0\ninfo:\n  title: REST API\n  version: 1.0.0\npaths: {}\n' },
    ],
  },
  {
    slug: 'mobile-app',
    name: 'Mobile app',
    description: 'A cross-platform mobile app with React Native and Expo.',
    category: 'mobile',
    specifications: [
      spec('languages', 'TypeScript', 'Strict mode'),
      spec('frameworks', 'React Native', 'Expo managed workflow'),
      spec('platforms', 'iOS and Android', 'One code base, platform files where needed'),
      spec('testing', 'Jest', 'Component tests with React Native Testing Library'),
      spec('distribution', 'EAS Build', 'Store builds from CI'),
      spec('offline', 'Local storage', 'Cached data readable offline'),
    ],
    files: [
      { path: 'App.tsx', language: 'typescript', content: "import { Text, View } from 'react-native';\n\nexport default function App() {\n  return <View><Text>Hello</Text></View>;\n}\n" },
      { path: 'app.json', language: 'json', content: '{\n  "expo": { "name": "mobile-app", "slug": "mobile-app" }\n}\n' },
    ],
  },
  {
    slug: 'cli-tool',
    name: 'Command-line tool',
    description: 'A fast, single-binary command-line tool in Go.',
    category: 'tooling',
    specifications: [
      spec('languages', 'Go', 'Go modules'),
      spec('frameworks', 'Cobra', 'Subcommands with flags and help'),
      spec('distribution', 'Single binary', 'Cross-compiled releases for Linux, macOS and Windows'),
      spec('testing', 'go test', 'Table-driven tests; golden files for output'),
      spec('ux', 'Exit codes', '0 success, 1 failure, 2 usage error; errors on stderr'),
    ],
    files: [
      { path: 'main.go', language: 'go', content: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hello")\n}\n' },
      { path: 'go.mod', language: null, content: 'module example.com/cli\n\ngo 1.22\n' },
    ],
  },
  {
    slug: 'data-pipeline',
    name: 'Data pipeline',
    description: 'A batch data pipeline in Python with validated, idempotent steps.',
    category: 'data',
    specifications: [
      spec('languages', 'Python', '3.12, typed with mypy'),
      spec('frameworks', 'Pandas', 'DataFrame transforms'),
      spec('orchestration', 'Scheduled jobs', 'Each step idempotent and re-runnable'),
      spec('data quality', 'Validation', 'Schemas checked at every step boundary'),
      spec('testing', 'pytest', 'Fixtures with small sample data sets'),
      spec('storage', 'Parquet', 'Partitioned by date'),
    ],
    files: [
      { path: 'pipeline/steps.py', language: 'python', content: 'import pandas as pd\n\n\ndef clean(frame: pd.DataFrame) -> pd.DataFrame:\n    return frame.dropna()\n' },
      { path: 'pyproject.toml', language: 'toml', content: '[project]\nname = "data-pipeline"\ndependencies = ["pandas"]\n' },
    ],
  },
  {
    slug: 'graphql-service',
    name: 'GraphQL service',
    description: 'A code-first GraphQL API with graphql-yoga and Pothos.',
    category: 'backend',
    specifications: [
      spec('languages', 'TypeScript', 'Strict mode'),
      spec('frameworks', 'graphql-yoga', 'HTTP, SSE and WebSocket subscriptions'),
      spec('frameworks', 'Pothos', 'Code-first schema; printed SDL checked in CI'),
      spec('security', 'Query limits', 'Depth, aliases and cost limits; masked errors'),
      spec('performance', 'DataLoader', 'Batched loading for list fields'),
      spec('testing', 'Vitest', 'Operations executed against the schema with a real database'),
    ],
    files: [
      { path: 'src/schema.ts', language: 'typescript', content: "import SchemaBuilder from '@pothos/core';\n\nconst builder = new SchemaBuilder({});\nbuilder.queryType({ fields: (t) => ({ hello: t.string({ resolve: () => 'world' }) }) });\nexport const schema = builder.toSchema();\n" },
      { path: 'src/server.ts', language: 'typescript', content: "import { createServer } from 'node:http';\nimport { createYoga } from 'graphql-yoga';\nimport { schema } from './schema.ts';\n\ncreateServer(createYoga({ schema })).listen(4000);\n" },
    ],
  },
];
