export { UUID_PATTERN, uuidv7 } from './ids.ts';
export { DomainError, httpStatusOf, isErrorCode, type ErrorBody, type ErrorCode } from './errors.ts';
export { describeErrors, lenient, lenientValidator, validator } from './validate.ts';
export { envelopeOf, makeEnvelope, type Envelope } from './envelope.ts';
export {
  DEFAULT_FONT_FAMILY,
  PublicRenderOptions,
  RenderOptions,
  TRANSITIONS,
  outputSize,
  type Span,
  type Transition,
} from './render-options.ts';
export {
  CancelRequested,
  GenerationCounters,
  GenerationStatus,
  GenerationUpdated,
  GenerationView,
  RenderJobRequested,
  TaskProgress,
  TaskStage,
  TaskStatus,
  TaskStatusChanged,
} from './events.ts';
export { filters, subjects } from './subjects.ts';
export { STREAMS, type Namespace, type StreamDeclaration } from './streams.ts';
export {
  ARTICLE_CONTENT_TYPE,
  AccountView,
  AutoGenerateSummary,
  CleanupSummary,
  ContentView,
  CreateAccountBody,
  CreateTaskBody,
  DeadLetterView,
  JOB_RUN_STATUSES,
  JobRunView,
  MarkReadBody,
  NotificationPage,
  NotificationPreferences,
  NotificationPreferencesBody,
  NotificationView,
  Principal,
  RedriveResult,
  RegisterSourceBody,
  ResolvedGenerationBody,
  SourceView,
  StartGenerationBody,
  StorageUsage,
  TaskListQuery,
  TaskStats,
  TaskView,
  UpdateAccountBody,
  notifierCommands,
  orchestratorCommands,
  repurposerCommands,
  schedulerCommands,
  type CommandDeclaration,
} from './commands.ts';
export type { TSchema as TSchemaLike } from '@sinclair/typebox';
export {
  AddLibrarySourceBody,
  BACKLOG_ACCOUNT_ID,
  BACKLOG_OWNER_ID,
  BacklogItemClaimed,
  BacklogItemSource,
  BacklogItemTransferred,
  BacklogStock,
  BacklogView,
  ClaimResult,
  ContentTransfer,
  InstantBody,
  InstantClaimView,
  LibrarySourceView,
  MaintenanceSummary,
  SYSTEM_PRINCIPAL_PREFIX,
  backlogCommands,
  orchestratorBacklogCommands,
  transferContentCommand,
} from './backlog.ts';
export {
  CreateWebhookBody,
  UpdateWebhookBody,
  WEBHOOK_EVENT_TYPES,
  WebhookDeliveryPage,
  WebhookDeliveryView,
  WebhookView,
  webhookCommands,
} from './webhooks.ts';
export { accountStorageFull } from './storage-quota.ts';
export {
  ARTICLE_SECONDS,
  ArticleGenerationOptions,
  ArticleScene,
  ArticleScript,
  ArticleSpec,
  CreateArticleBody,
  DEFAULT_MUSIC_VOLUME,
  SCRIPT_LIMITS,
} from './article.ts';
export { OPERATOR, TENANT_ADMIN, requireOperator } from './roles.ts';
export { CreditTransactionView, CreditsView, GrantCreditsBody, creditCommands, type CreditReason } from './credits.ts';
export {
  CreateRecipeBody,
  RecipeForm,
  RecipeGenerationBody,
  RecipeView,
  RenderedRecipe,
  UpdateRecipeBody,
  recipeCommands,
} from './recipes.ts';
