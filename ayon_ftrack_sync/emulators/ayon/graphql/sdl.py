"""GraphQL SDL of the subset of the AYON schema that ayon-python-api queries.

Field and argument names follow the real server (`graphql_types.txt` in the reference
recording). Attribute object types are generated from the live attribute schema.
"""

from __future__ import annotations

from typing import Any

_GQL_TYPES = {
    "integer": "Int",
    "float": "Float",
    "string": "String",
    "boolean": "Boolean",
    "datetime": "String",
    "list_of_strings": "[String!]",
}

ATTRIB_SCOPES = {
    "project": "ProjectAttribType",
    "folder": "FolderAttribType",
    "task": "TaskAttribType",
    "product": "ProductAttribType",
    "version": "VersionAttribType",
    "representation": "RepresentationAttribType",
    "user": "UserAttribType",
    "list": "EntityListAttribType",
}

_PAGING = "first: Int, after: String, last: Int, before: String"
_STATS = "calculateStatistics: Boolean, calculateSpecificStatistics: [MetricTargetInput!]"
FOLDERS_ARGS = (
    f"{_PAGING}, ids: [String!], includeFolderChildren: Boolean, parentId: String, "
    "parentIds: [String!], attributes: [AttributeFilterInput!], folderTypes: [String!], "
    "statuses: [String!], tags: [String!], paths: [String!], pathEx: String, name: String, "
    "names: [String!], assignees: [String!], hasChildren: Boolean, hasProducts: Boolean, "
    "hasTasks: Boolean, hasLinks: HasLinksFilter, search: String, filter: String, "
    f"taskFilter: String, sortBy: String, {_STATS}"
)
TASKS_ARGS = (
    f"{_PAGING}, ids: [String!], taskTypes: [String!], folderIds: [String!], "
    "attributes: [AttributeFilterInput!], names: [String!], statuses: [String!], "
    "hasLinks: HasLinksFilter, assignees: [String!], assigneesAny: [String!], "
    "tags: [String!], tagsAny: [String!], includeFolderChildren: Boolean, search: String, "
    f"filter: String, folderFilter: String, sortBy: String, {_STATS}"
)
PRODUCTS_ARGS = (
    f"{_PAGING}, ids: [String!], hasLinks: HasLinksFilter, folderIds: [String!], "
    "includeFolderChildren: Boolean, names: [String!], namesCi: [String!], nameEx: String, "
    "pathEx: String, productTypes: [String!], productBaseTypes: [String!], "
    "statuses: [String!], tags: [String!], search: String, filter: String, "
    f"versionFilter: String, taskFilter: String, sortBy: String, {_STATS}"
)
VERSIONS_ARGS = (
    f"{_PAGING}, ids: [String!], version: Int, versions: [Int!], statuses: [String!], "
    "tags: [String!], productIds: [String!], taskIds: [String!], folderIds: [String!], "
    "includeFolderChildren: Boolean, authors: [String!], latestOnly: Boolean, "
    "heroOnly: Boolean, heroOrLatestOnly: Boolean, hasReviewables: Boolean, "
    "featuredOnly: [String!], hasLinks: HasLinksFilter, search: String, filter: String, "
    f"taskFilter: String, productFilter: String, sortBy: String, {_STATS}"
)
REPRESENTATIONS_ARGS = (
    f"{_PAGING}, ids: [String!], versionIds: [String!], names: [String!], "
    "statuses: [String!], tags: [String!], hasLinks: HasLinksFilter, search: String, "
    "filter: String"
)
LINKS_ARGS = (
    "direction: String, linkTypes: [String!], names: [String!], nameEx: String, "
    "first: Int, after: String"
)
ACTIVITIES_ARGS = (
    f"{_PAGING}, entityType: String, entityIds: [String!], entityNames: [String!], "
    "activityTypes: [String!], referenceTypes: [String!], activityIds: [String!], "
    "tags: [String!], categories: [String], changedBefore: String, changedAfter: String, "
    "authors: [String!], filter: String"
)
ENTITY_COMMON = """
  projectName: String!
  id: String!
  name: String!
  active: Boolean!
  createdBy: String
  updatedBy: String
  createdAt: DateTime!
  updatedAt: DateTime!
  allAttrib: String!
  ownAttrib: [String!]!
  status: String!
  tags: [String!]!
  data: String
  path: String
  parents: [String!]!
  type: String!
"""

_STATIC = f"""
scalar DateTime
scalar JSONValue
scalar HasLinksFilter
scalar MetricTargetInput

input AttributeFilterInput {{ name: String!, values: [String!]! }}

type PageInfo {{
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}}

type Query {{
  project(name: String, code: String): ProjectNode
  projects(name: String, code: String, {_PAGING}, includeSkeleton: Boolean): ProjectsConnection!
  users(name: String, names: [String!], emails: [String!], projectName: String,
        projects: [String!], isSupport: Boolean, {_PAGING}): UsersConnection!
  user(name: String!): UserNode
  me: UserNode
  events(ids: [String!], topics: [String!], projects: [String!], users: [String!],
         states: [String!], statuses: [String!], hasChildren: Boolean, olderThan: String,
         newerThan: String, filter: String, includeLogs: Boolean, {_PAGING}): EventsConnection!
}}

type FolderType {{ name: String!, shortName: String, color: String, icon: String }}
type TaskType {{ name: String!, shortName: String, color: String, icon: String }}
type Status {{ name: String!, shortName: String, state: String, icon: String, color: String,
              scope: [String!] }}
type Tag {{ name: String!, color: String }}
type LinkType {{ name: String!, linkType: String!, inputType: String!, outputType: String!,
                color: String, style: String }}
type ProductType {{ name: String!, icon: String, color: String }}

type ProjectNode {{
  name: String!
  projectName: String!
  code: String!
  label: String
  active: Boolean!
  library: Boolean!
  skeleton: Boolean!
  data: String
  config: String
  createdAt: DateTime!
  updatedAt: DateTime!
  attrib: ProjectAttribType!
  allAttrib: String!
  folderTypes(activeOnly: Boolean): [FolderType!]!
  taskTypes(activeOnly: Boolean): [TaskType!]!
  linkTypes(activeOnly: Boolean): [LinkType!]!
  statuses: [Status!]!
  tags: [Tag!]!
  usedTags: [String!]!
  productTypes: [ProductType!]!
  folder(id: String!): FolderNode
  folders({FOLDERS_ARGS}): FoldersConnection!
  task(id: String!): TaskNode
  tasks({TASKS_ARGS}): TasksConnection!
  product(id: String!): ProductNode
  products({PRODUCTS_ARGS}): ProductsConnection!
  version(id: String!): VersionNode
  versions({VERSIONS_ARGS}): VersionsConnection!
  representation(id: String!): RepresentationNode
  representations({REPRESENTATIONS_ARGS}): RepresentationsConnection!
  entityList(id: String!): EntityListNode
  entityLists({_PAGING}, ids: [String!], filter: String, search: String,
              sortBy: String): EntityListsConnection!
  activities({ACTIVITIES_ARGS}): ActivitiesConnection!
}}

type ProjectEdge {{ node: ProjectNode, cursor: String }}
type ProjectsConnection {{ edges: [ProjectEdge!]!, pageInfo: PageInfo! }}

type LinkEdge {{
  id: String!
  projectName: String!
  entityId: String!
  entityType: String!
  linkType: String!
  name: String
  direction: String!
  description: String!
  author: String
  data: JSONValue
  cursor: String
}}
type LinksConnection {{ edges: [LinkEdge!]!, pageInfo: PageInfo! }}

type FolderNode {{
{ENTITY_COMMON}
  label: String
  folderType: String!
  parentId: String
  thumbnailId: String
  thumbnailHash: String
  childCount: Int!
  productCount: Int!
  taskCount: Int!
  hasVersions: Boolean!
  hasReviewables: Boolean!
  hasChildren: Boolean!
  hasProducts: Boolean!
  hasTasks: Boolean!
  parent: FolderNode
  attrib: FolderAttribType!
  links({LINKS_ARGS}): LinksConnection!
  activities({ACTIVITIES_ARGS}): ActivitiesConnection!
  tasks({TASKS_ARGS}): TasksConnection!
  products({PRODUCTS_ARGS}): ProductsConnection!
}}
type FolderEdge {{ node: FolderNode, cursor: String }}
type FoldersConnection {{ edges: [FolderEdge!]!, pageInfo: PageInfo! }}

type TaskNode {{
{ENTITY_COMMON}
  label: String
  taskType: String!
  folderId: String!
  assignees: [String!]!
  thumbnailId: String
  thumbnailHash: String
  hasReviewables: Boolean!
  folder: FolderNode!
  attrib: TaskAttribType!
  links({LINKS_ARGS}): LinksConnection!
  activities({ACTIVITIES_ARGS}): ActivitiesConnection!
  versions({VERSIONS_ARGS}): VersionsConnection!
}}
type TaskEdge {{ node: TaskNode, cursor: String }}
type TasksConnection {{ edges: [TaskEdge!]!, pageInfo: PageInfo! }}

type ProductNode {{
{ENTITY_COMMON}
  folderId: String!
  productType: String!
  productBaseType: String
  folder: FolderNode!
  attrib: ProductAttribType!
  links({LINKS_ARGS}): LinksConnection!
  versions({VERSIONS_ARGS}): VersionsConnection!
}}
type ProductEdge {{ node: ProductNode, cursor: String }}
type ProductsConnection {{ edges: [ProductEdge!]!, pageInfo: PageInfo! }}

type VersionNode {{
{ENTITY_COMMON}
  version: Int!
  productId: String!
  taskId: String
  author: String
  thumbnailId: String
  thumbnailHash: String
  hasReviewables: Boolean!
  heroVersionId: String
  product: ProductNode!
  task: TaskNode
  attrib: VersionAttribType!
  links({LINKS_ARGS}): LinksConnection!
  activities({ACTIVITIES_ARGS}): ActivitiesConnection!
  representations({REPRESENTATIONS_ARGS}): RepresentationsConnection!
}}
type VersionEdge {{ node: VersionNode, cursor: String }}
type VersionsConnection {{ edges: [VersionEdge!]!, pageInfo: PageInfo! }}

type RepresentationFile {{ id: String, name: String, path: String, size: Int,
                           hash: String, hashType: String }}
type RepresentationNode {{
{ENTITY_COMMON}
  versionId: String!
  files: [RepresentationFile!]!
  context: String
  traits: String
  fileCount: Int!
  version: VersionNode!
  attrib: RepresentationAttribType!
  links({LINKS_ARGS}): LinksConnection!
}}
type RepresentationEdge {{ node: RepresentationNode, cursor: String }}
type RepresentationsConnection {{ edges: [RepresentationEdge!]!, pageInfo: PageInfo! }}

type UserNode {{
  name: String!
  active: Boolean!
  createdAt: DateTime!
  updatedAt: DateTime!
  accessGroups: String!
  defaultAccessGroups: [String!]!
  isAdmin: Boolean!
  isManager: Boolean!
  isService: Boolean!
  isGuest: Boolean!
  isDeveloper: Boolean!
  hasPassword: Boolean!
  apiKeyPreview: String
  deleted: Boolean!
  attrib: UserAttribType!
  allAttrib: String!
  data: String
}}
type UserEdge {{ node: UserNode, cursor: String }}
type UsersConnection {{ edges: [UserEdge!]!, pageInfo: PageInfo! }}

type EventNode {{
  id: String!
  hash: String!
  topic: String!
  project: String
  user: String
  sender: String
  dependsOn: String
  status: String!
  retries: Int!
  description: String!
  summary: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  data: String
  payload: String
}}
type EventEdge {{ node: EventNode, cursor: String }}
type EventsConnection {{ edges: [EventEdge!]!, pageInfo: PageInfo! }}

type EntityListNode {{
  id: String!
  label: String!
  entityListType: String!
  entityType: String!
  count: Int!
  active: Boolean!
  tags: [String!]!
  attributes: String!
  allAttrib: String!
  attrib: EntityListAttribType!
  data: String
  owner: String
  createdBy: String
  updatedBy: String
  createdAt: DateTime!
  updatedAt: DateTime!
  projectName: String!
}}
type EntityListEdge {{ node: EntityListNode, cursor: String }}
type EntityListsConnection {{ edges: [EntityListEdge!]!, pageInfo: PageInfo! }}

type ActivityNode {{
  projectName: String!
  activityId: String!
  activityType: String!
  activityData: String!
  body: String!
  entityId: String!
  entityType: String!
  entityPath: String
  referenceId: String!
  referenceType: String!
  tags: [String!]!
  active: Boolean!
  read: Boolean!
  createdAt: DateTime!
  updatedAt: DateTime!
  author: UserNode
}}
type ActivityEdge {{ node: ActivityNode, cursor: String }}
type ActivitiesConnection {{ edges: [ActivityEdge!]!, pageInfo: PageInfo! }}
"""


def build_sdl(attributes: list[dict[str, Any]]) -> str:
    """Full SDL for the current attribute schema."""
    parts = [_STATIC]
    for scope, type_name in ATTRIB_SCOPES.items():
        fields = [
            f"  {a['name']}: {_GQL_TYPES.get(a['data'].get('type'), 'String')}"
            for a in attributes
            if scope in a["scope"]
        ]
        if not fields:
            fields = ["  _empty: String"]
        parts.append(f"type {type_name} {{\n" + "\n".join(fields) + "\n}")
    return "\n".join(parts)
