// What a dependency name says about a project, per ecosystem. A row: the dependency (exact name, or a
// pattern), the category and the name people know it by.

export interface DependencyRule {
  match: string | RegExp;
  category: 'frameworks' | 'testing' | 'tools' | 'database';
  key: string;
}

const rule = (match: string | RegExp, category: DependencyRule['category'], key: string): DependencyRule => ({ match, category, key });

export const NPM_RULES: readonly DependencyRule[] = [
  rule('react', 'frameworks', 'React'),
  rule('next', 'frameworks', 'Next.js'),
  rule('vue', 'frameworks', 'Vue'),
  rule('nuxt', 'frameworks', 'Nuxt'),
  rule('@angular/core', 'frameworks', 'Angular'),
  rule('svelte', 'frameworks', 'Svelte'),
  rule('express', 'frameworks', 'Express'),
  rule('fastify', 'frameworks', 'Fastify'),
  rule('@nestjs/core', 'frameworks', 'NestJS'),
  rule('koa', 'frameworks', 'Koa'),
  rule('graphql-yoga', 'frameworks', 'GraphQL Yoga'),
  rule(/^@apollo\/server$|^apollo-server/, 'frameworks', 'Apollo Server'),
  rule('@pothos/core', 'frameworks', 'Pothos'),
  rule('react-native', 'frameworks', 'React Native'),
  rule('electron', 'frameworks', 'Electron'),
  rule('prisma', 'database', 'Prisma'),
  rule('@prisma/client', 'database', 'Prisma'),
  rule('typeorm', 'database', 'TypeORM'),
  rule('@mikro-orm/core', 'database', 'MikroORM'),
  rule('mongoose', 'database', 'Mongoose'),
  rule('pg', 'database', 'PostgreSQL client'),
  rule('jest', 'testing', 'Jest'),
  rule('vitest', 'testing', 'Vitest'),
  rule('mocha', 'testing', 'Mocha'),
  rule('@playwright/test', 'testing', 'Playwright'),
  rule('cypress', 'testing', 'Cypress'),
  rule('eslint', 'tools', 'ESLint'),
  rule('prettier', 'tools', 'Prettier'),
  rule('typescript', 'tools', 'TypeScript'),
  rule('vite', 'tools', 'Vite'),
  rule('webpack', 'tools', 'webpack'),
];

export const PYTHON_RULES: readonly DependencyRule[] = [
  rule('django', 'frameworks', 'Django'),
  rule('flask', 'frameworks', 'Flask'),
  rule('fastapi', 'frameworks', 'FastAPI'),
  rule('starlette', 'frameworks', 'Starlette'),
  rule('celery', 'frameworks', 'Celery'),
  rule('sqlalchemy', 'database', 'SQLAlchemy'),
  rule('psycopg2', 'database', 'PostgreSQL client'),
  rule(/^psycopg(\[.*\])?$/, 'database', 'PostgreSQL client'),
  rule('pytest', 'testing', 'pytest'),
  rule('pandas', 'frameworks', 'pandas'),
  rule('numpy', 'frameworks', 'NumPy'),
  rule('pydantic', 'tools', 'Pydantic'),
  rule('mypy', 'tools', 'mypy'),
  rule('ruff', 'tools', 'Ruff'),
  rule('black', 'tools', 'Black'),
];

export const RUBY_RULES: readonly DependencyRule[] = [
  rule('rails', 'frameworks', 'Ruby on Rails'),
  rule('sinatra', 'frameworks', 'Sinatra'),
  rule(/^rspec/, 'testing', 'RSpec'),
  rule('minitest', 'testing', 'Minitest'),
  rule('pg', 'database', 'PostgreSQL client'),
  rule('sidekiq', 'frameworks', 'Sidekiq'),
];

export const GO_RULES: readonly DependencyRule[] = [
  rule('github.com/gin-gonic/gin', 'frameworks', 'Gin'),
  rule(/^github\.com\/labstack\/echo/, 'frameworks', 'Echo'),
  rule(/^github\.com\/gofiber\/fiber/, 'frameworks', 'Fiber'),
  rule('github.com/spf13/cobra', 'frameworks', 'Cobra'),
  rule('gorm.io/gorm', 'database', 'GORM'),
  rule(/^github\.com\/jackc\/pgx/, 'database', 'PostgreSQL client'),
  rule('github.com/stretchr/testify', 'testing', 'testify'),
];

export const RUST_RULES: readonly DependencyRule[] = [
  rule('tokio', 'frameworks', 'Tokio'),
  rule('actix-web', 'frameworks', 'Actix Web'),
  rule('axum', 'frameworks', 'Axum'),
  rule('rocket', 'frameworks', 'Rocket'),
  rule('serde', 'tools', 'Serde'),
  rule('sqlx', 'database', 'SQLx'),
  rule('diesel', 'database', 'Diesel'),
  rule('clap', 'frameworks', 'clap'),
];

export const JVM_RULES: readonly DependencyRule[] = [
  rule(/^spring-boot/, 'frameworks', 'Spring Boot'),
  rule(/^junit(-jupiter)?/, 'testing', 'JUnit'),
  rule(/^hibernate-core$|^hibernate$/, 'database', 'Hibernate'),
  rule('mockito-core', 'testing', 'Mockito'),
  rule(/^ktor/, 'frameworks', 'Ktor'),
];

export const PHP_RULES: readonly DependencyRule[] = [
  rule('laravel/framework', 'frameworks', 'Laravel'),
  rule(/^symfony\/(framework-bundle|symfony)$/, 'frameworks', 'Symfony'),
  rule('phpunit/phpunit', 'testing', 'PHPUnit'),
  rule('doctrine/orm', 'database', 'Doctrine ORM'),
];

/** Lockfiles and manifests that name a package manager. */
export const PACKAGE_MANAGERS: readonly { file: RegExp; key: string }[] = [
  { file: /(^|\/)package-lock\.json$/, key: 'npm' },
  { file: /(^|\/)yarn\.lock$/, key: 'Yarn' },
  { file: /(^|\/)pnpm-lock\.yaml$/, key: 'pnpm' },
  { file: /(^|\/)poetry\.lock$/, key: 'Poetry' },
  { file: /(^|\/)Pipfile(\.lock)?$/, key: 'Pipenv' },
  { file: /(^|\/)Gemfile(\.lock)?$/, key: 'Bundler' },
  { file: /(^|\/)Cargo\.toml$/, key: 'Cargo' },
  { file: /(^|\/)go\.mod$/, key: 'Go modules' },
  { file: /(^|\/)pom\.xml$/, key: 'Maven' },
  { file: /(^|\/)build\.gradle(\.kts)?$/, key: 'Gradle' },
  { file: /(^|\/)composer\.json$/, key: 'Composer' },
];

export const TEST_FOLDERS = /(^|\/)(test|tests|__tests__|spec|specs|e2e)\/$/;
export const TEST_FILES = /(\.(test|spec)\.[cm]?[jt]sx?$|_test\.go$|(^|\/)test_[^/]+\.py$|_test\.py$|Spec\.(java|kt|groovy)$|Test\.(java|kt)$|_spec\.rb$)/;
