// The one place subcommands are registered: add a file under cli/commands/ and list it here.
import { type CommandModule } from '../context';
import { configValidate } from './config-validate';
import { deleteCommand } from './delete';
import { dibImageList } from './dib-image-list';
import { erase } from './erase';
import { hold } from './hold';
import { imageList } from './image-list';
import { imageStatus } from './image-status';
import { info } from './info';
import { list } from './list';
import { requestList } from './request-list';
import { imageBuild } from './image-build';
import { imagePause } from './image-pause';
import { imageUnpause } from './image-unpause';
import { dibImageDelete } from './dib-image-delete';
import { imageDelete } from './image-delete';
import { alienImageList } from './alien-image-list';
import { cleanupPreview } from './cleanup-preview';
import { imageUploadCommand } from './image-upload';
import { exportImageDataCommand, importImageDataCommand } from './image-data';

export const COMMANDS: readonly CommandModule[] = [configValidate, list, imageList, dibImageList, imageStatus, deleteCommand, hold, requestList, info, erase, imageBuild, imagePause, imageUnpause, dibImageDelete, imageDelete, alienImageList, cleanupPreview, imageUploadCommand, exportImageDataCommand, importImageDataCommand];
